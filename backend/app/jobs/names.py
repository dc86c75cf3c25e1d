"""Every job's name, in one place: the modules that declare, enqueue and schedule a job refer to
it by constant, so a renamed job cannot leave a caller enqueuing a name nobody runs.

A leaf module (no imports), so any module's service can enqueue without an import circle.
"""

STRIPE_SYNC = "stripe_sync"
STRIPE_SYNC_BUSINESS = "stripe_sync_business"
STRIPE_PROCESS_EVENTS = "stripe_process_events"
STRIPE_PROCESS_PENDING_EVENTS = "stripe_process_pending_events"
COMPUTE_METRICS = "compute_metrics"
COMPUTE_READINESS = "compute_readiness"
GENERATE_RECOMMENDATIONS = "generate_recommendations"
REFRESH_BUSINESS = "refresh_business"
SEND_EMAIL_OUTBOX = "send_email_outbox"
SEND_NOTIFICATION_DIGEST = "send_notification_digest"
EVALUATE_NOTIFICATION_ALERTS = "evaluate_notification_alerts"
PRUNE_JOB_RUNS = "prune_job_runs"

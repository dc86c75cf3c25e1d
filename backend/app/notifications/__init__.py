"""Notifications: the email outbox sent over SMTP, alerts on each refresh, the digest,
per-member preferences and one-click unsubscribe (backend/docs/notifications.md)."""

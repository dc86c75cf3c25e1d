"""Builders of Stripe-shaped JSON objects (API version below), one function per object type.

Every builder returns every key of Stripe's own fixture for that type; values Stripe allows to be
null are null when the sandbox has nothing realistic to say.
"""

from typing import Any

from stripe_sandbox.fake import Person
from stripe_sandbox.merchants import MerchantProfile

API_VERSION = "2026-10-28.endive"
DISPUTE_FEE = 1500
_NETWORK_REASON = {
    "visa": {
        "fraudulent": "10.4",
        "product_not_received": "13.1",
        "product_unacceptable": "13.3",
        "subscription_canceled": "13.2",
        "duplicate": "12.6.1",
        "credit_not_processed": "13.6",
        "unrecognized": "10.4",
        "general": "13.7",
    },
    "mastercard": {
        "fraudulent": "4837",
        "product_not_received": "4855",
        "product_unacceptable": "4853",
        "subscription_canceled": "4841",
        "duplicate": "4834",
        "credit_not_processed": "4860",
        "unrecognized": "4863",
        "general": "4853",
    },
}
_EVIDENCE_KEYS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text",
)  # fmt: skip


def empty_list(url: str, data: list[Any] | None = None) -> dict[str, Any]:
    return {"object": "list", "data": data or [], "has_more": False, "url": url}


def _empty_address() -> dict[str, None]:
    return dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))


def account(
    profile: MerchantProfile, account_id: str, created: int, bank_id: str
) -> dict[str, Any]:
    domain = profile.url.removeprefix("https://")
    requirements: dict[str, Any] = {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }
    schedule: dict[str, Any] = {"delay_days": 2, "interval": profile.payout_interval}
    if profile.payout_interval == "weekly":
        schedule["weekly_anchor"] = "monday"
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": profile.mcc,
            "minority_owned_business_designation": None,
            "name": profile.name,
            "product_description": profile.product_description,
            "support_address": {
                "city": profile.support_city,
                "country": "US",
                "line1": "500 Commerce St",
                "line2": "Suite 210",
                "postal_code": "73301",
                "state": profile.support_state,
            },
            "support_email": f"support@{domain}",
            "support_phone": "+15125550100",
            "support_url": f"{profile.url}/help",
            "url": profile.url,
        },
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": {"type": "account"},
        "country": "US",
        "created": created,
        "default_currency": "usd",
        "details_submitted": True,
        "email": f"founder@{domain}",
        "external_accounts": empty_list(
            f"/v1/accounts/{account_id}/external_accounts",
            [
                {
                    "id": bank_id,
                    "object": "bank_account",
                    "account": account_id,
                    "account_holder_name": profile.name,
                    "account_holder_type": "company",
                    "account_type": None,
                    "available_payout_methods": ["standard"],
                    "bank_name": "STRIPE TEST BANK",
                    "country": "US",
                    "currency": "usd",
                    "default_for_currency": True,
                    "fingerprint": bank_id[3:19],
                    "future_requirements": None,
                    "last4": "6789",
                    "metadata": {},
                    "requirements": None,
                    "routing_number": "110000000",
                    "status": "new",
                }
            ],
        ),
        "future_requirements": dict(requirements),
        "metadata": {},
        "payouts_enabled": True,
        "requirements": dict(requirements),
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": "#2f6f4e",
                "secondary_color": None,
            },
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "card_payments": {
                "decline_on": {"avs_failure": False, "cvc_failure": True},
                "statement_descriptor_prefix": descriptor(profile)[:10],
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": profile.name, "timezone": "America/Chicago"},
            "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": None},
            "payments": {
                "statement_descriptor": descriptor(profile),
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "payouts": {
                "debit_negative_balances": True,
                "schedule": schedule,
                "statement_descriptor": None,
            },
            "sepa_debit_payments": {},
        },
        "tos_acceptance": {"date": created, "ip": "203.0.113.24", "user_agent": "Mozilla/5.0"},
        "type": "standard",
    }


def platform_account(account_id: str, created: int) -> dict[str, Any]:
    """What GET /v1/account answers without Stripe-Account: the (sandbox) platform itself."""
    body = account(_PLATFORM, account_id, created, "ba_1VaultraPlatformBank0")
    body["business_profile"]["support_address"] = _empty_address()
    return body


def descriptor(profile: MerchantProfile) -> str:
    return profile.name.upper().replace("&", "AND")[:22]


def customer(
    customer_id: str,
    created: int,
    who: Person,
    index: int,
    pm_id: str,
    currency: str,
    ships: bool,
) -> dict[str, Any]:
    return {
        "id": customer_id,
        "object": "customer",
        "address": who.address,
        "balance": 0,
        "created": created,
        "currency": currency,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": who.email,
        "invoice_prefix": f"{customer_id[4:8].upper()}{index % 10000:04d}",
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": pm_id,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": who.name,
        "next_invoice_sequence": 1,
        "phone": who.phone,
        "preferred_locales": ["de" if who.card_country == "DE" else "en"],
        "shipping": who.shipping if ships else None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def subscription(
    sub_id: str,
    item_id: str,
    customer_id: str,
    created: int,
    price: int,
    pm_id: str,
    product_id: str,
    period: tuple[int, int],
    canceled_at: int | None,
) -> dict[str, Any]:
    price_id = f"price_{product_id[5:]}{price:05d}"[:30]
    plan = {
        "id": price_id,
        "object": "plan",
        "active": True,
        "amount": price,
        "amount_decimal": str(price),
        "billing_scheme": "per_unit",
        "created": created - 86400 * 400,
        "currency": "usd",
        "interval": "month",
        "interval_count": 1,
        "livemode": False,
        "metadata": {},
        "meter": None,
        "nickname": None,
        "product": product_id,
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }
    price_obj = {
        "id": price_id,
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": created - 86400 * 400,
        "currency": "usd",
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product_id,
        "recurring": {
            "interval": "month",
            "interval_count": 1,
            "meter": None,
            "usage_type": "licensed",
            "trial_period_days": None,
        },
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring",
        "unit_amount": price,
        "unit_amount_decimal": str(price),
    }
    item: dict[str, Any] = {
        "id": item_id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": period[1],
        "current_period_start": period[0],
        "discounts": [],
        "metadata": {},
        "plan": plan,
        "price": price_obj,
        "quantity": 1,
        "subscription": sub_id,
        "tax_rates": [],
    }
    canceled = canceled_at is not None
    return {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": created,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": canceled_at,
        "cancellation_details": {
            "comment": None,
            "feedback": "too_expensive" if canceled else None,
            "reason": "cancellation_requested" if canceled else None,
        },
        "collection_method": "charge_automatically",
        "created": created,
        "currency": "usd",
        "customer": customer_id,
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": pm_id,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": canceled_at,
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        "items": empty_list(f"/v1/subscription_items?subscription={sub_id}", [item]),
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": {},
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": created,
        "status": "canceled" if canceled else "active",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


# Charges are built by the million: their constant parts are shared, never copied or mutated.
_CHECKS = {"address_line1_check": "pass", "address_postal_code_check": "pass", "cvc_check": "pass"}
_DISABLED = {"status": "disabled"}
_UNAVAILABLE = {"status": "unavailable"}
_NOT_TOKENIZED = {"used": False}
_NO_FRAUD: dict[str, Any] = {}
_APPROVED = {
    score: {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "elevated" if score > 65 else "normal",
        "risk_score": score,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }
    for score in range(100)
}


def _declined(reason: str, score: int) -> dict[str, Any]:
    return {
        "advice_code": "try_again_later" if reason == "insufficient_funds" else None,
        "network_advice_code": None,
        "network_decline_code": "51" if reason == "insufficient_funds" else "05",
        "network_status": "declined_by_network",
        "reason": reason,
        "risk_level": "normal",
        "risk_score": score,
        "seller_message": f"The bank returned the decline code `{reason}`.",
        "type": "issuer_declined",
    }


def charge(
    charge_id: str,
    created: int,
    amount: int,
    currency: str,
    customer_id: str,
    who: Person,
    fingerprint: str,
    pm_id: str,
    pi_id: str,
    txn_id: str | None,
    decline: str | None,
    risk_score: int,
    description: str,
    metadata: dict[str, str],
    statement_descriptor: str,
    ships: bool,
) -> dict[str, Any]:
    paid = decline is None
    brand = who.card_brand
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if paid else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": txn_id,
        "billing_details": who.billing_details,
        "calculated_statement_descriptor": statement_descriptor,
        "captured": paid,
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if paid else "card_declined",
        "failure_message": None if paid else "Your card was declined.",
        "fraud_details": _NO_FRAUD,
        "livemode": False,
        "metadata": metadata,
        "on_behalf_of": None,
        "outcome": _APPROVED[risk_score] if decline is None else _declined(decline, risk_score),
        "paid": paid,
        "payment_intent": pi_id,
        "payment_method": pm_id,
        "payment_method_details": {
            "card": {
                "amount_authorized": amount if paid else None,
                "authorization_code": f"{risk_score * 7919 % 1000000:06d}" if paid else None,
                "brand": brand,
                "checks": _CHECKS,
                "country": who.card_country,
                "exp_month": who.card_exp_month,
                "exp_year": who.card_exp_year,
                "extended_authorization": _DISABLED,
                "fingerprint": fingerprint,
                "funding": who.card_funding,
                "incremental_authorization": _UNAVAILABLE,
                "installments": None,
                "last4": who.card_last4,
                "mandate": None,
                "multicapture": _UNAVAILABLE,
                "network": brand,
                "network_token": _NOT_TOKENIZED,
                "network_transaction_id": f"{fingerprint[:6]}{created % 1000000:06d}",
                "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
                "regulated_status": "unregulated" if who.card_funding == "credit" else "regulated",
                "three_d_secure": None,
                "transaction_link_id": None,
                "wallet": None,
            },
            "type": "card",
        },
        "radar_options": _NO_FRAUD,
        "receipt_email": who.email,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{charge_id[3:]}{pi_id[3:]}",
        "refunded": False,
        "refunds": empty_list(f"/v1/charges/{charge_id}/refunds"),
        "review": None,
        "shipping": who.shipping if ships else None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if paid else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }


def refund(
    refund_id: str,
    created: int,
    amount: int,
    currency: str,
    charge: dict[str, Any],
    txn_id: str,
    reason: str | None,
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": txn_id,
        "charge": charge["id"],
        "created": created,
        "currency": currency,
        "customer": charge["customer"],
        "customer_account": None,
        "description": None,
        "destination_details": {
            "card": {
                "reference": f"{created % 10**11:011d}{amount % 10**6:06d}",
                "reference_status": "available",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def dispute(
    dispute_id: str,
    created: int,
    charge: dict[str, Any],
    reason: str,
    inquiry: bool,
    due_by: int,
) -> dict[str, Any]:
    brand = charge["payment_method_details"]["card"]["brand"]
    code = _NETWORK_REASON.get(brand, {}).get(reason)
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**dict.fromkeys(_EVIDENCE_KEYS), "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": due_by,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": inquiry,
        "livemode": False,
        "metadata": {},
        "network_reason_code": code,
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": brand,
                "case_type": "inquiry" if inquiry else "chargeback",
                "network": brand,
                "network_reason_code": code,
            },
            "type": "card",
        },
        "reason": reason,
        "status": "warning_needs_response" if inquiry else "needs_response",
    }


def payout(
    payout_id: str,
    created: int,
    amount: int,
    arrival_date: int,
    txn_id: str,
    bank_id: str,
) -> dict[str, Any]:
    return {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival_date,
        "automatic": True,
        "balance_transaction": txn_id,
        "created": created,
        "currency": "usd",
        "description": "STRIPE PAYOUT",
        "destination": bank_id,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "in_progress",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "pending",
        "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }


def balance_transaction(
    txn_id: str,
    created: int,
    available_on: int,
    amount: int,
    fee: int,
    exchange_rate: float | None,
    txn_type: str,
    reporting_category: str,
    source: str,
    description: str | None,
) -> dict[str, Any]:
    fee_details = (
        [
            {
                "amount": fee,
                "application": None,
                "currency": "usd",
                "description": "Dispute fee"
                if txn_type == "adjustment"
                else "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee
        else []
    )
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": created,
        "currency": "usd",
        "description": description,
        "exchange_rate": exchange_rate,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": reporting_category,
        "source": source,
        "status": "available" if available_on <= created else "pending",
        "type": txn_type,
    }


def event(
    event_id: str,
    account_id: str,
    created: int,
    event_type: str,
    data_object: dict[str, Any],
    previous_attributes: dict[str, Any] | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": data_object}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id,
        "object": "event",
        "account": account_id,
        "api_version": API_VERSION,
        "context": account_id,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


_PLATFORM = MerchantProfile(
    key="platform",
    name="Vaultra Sandbox Platform",
    description="The platform the sandbox's connected accounts are connected to.",
    history_days=0,
    default_size=0,
    url="https://vaultra.example.com",
    mcc="7372",
    product_description="Funding readiness for Stripe businesses",
    support_city="Austin",
    support_state="TX",
    monthly_growth=0.0,
    season=(1.0,) * 12,
    weekday=(1.0,) * 7,
)

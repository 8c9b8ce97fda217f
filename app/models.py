"""Typed SQLAlchemy 2 models: customers, vehicles, zones, orders, payments, the timeline.

Times are stored in UTC (``UTCDateTime`` returns aware datetimes on every database).
Money is integer minor units.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.demand import Demand, DemandReason
from app.extensions import Base


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; always gives back aware UTC datetimes.

    SQLite has no time zones, so the value is normalised to naive UTC on the way in and
    marked UTC on the way out. Naive datetimes are refused: they are a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK constraint: readable in SQL, portable, and
    # adding a value is a one-line migration.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _where_set(column: str) -> dict[str, Any]:
    # A partial index (``WHERE column IS NOT NULL``) on both databases: rows without a
    # value, most of them, get no entry. A query for ``column = x`` still uses it.
    where = text(f"{column} IS NOT NULL")
    return {"postgresql_where": where, "sqlite_where": where}


class OrderStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    ACTIVE = "active"
    ENDED = "ended"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    BOOKED = "booked"


LIVE_STATUSES = (OrderStatus.AWAITING_PAYMENT, OrderStatus.ACTIVE)


class OrderKind(enum.StrEnum):
    PARKING = "parking"
    BOOKING = "booking"


class Channel(enum.StrEnum):
    SMS = "sms"
    VOICE = "voice"
    WEB = "web"
    ADMIN = "admin"
    API = "api"
    SYSTEM = "system"
    PAYMENT = "payment"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # link sent, nothing paid yet
    AUTHORIZED = "authorized"  # card held for an open-ended parking, captured at stop
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class EventKind(enum.StrEnum):
    MESSAGE_IN = "message_in"
    MESSAGE_OUT = "message_out"
    CALL_STEP = "call_step"
    WEB_ACTION = "web_action"
    PAYMENT = "payment"
    ORDER = "order"
    STAFF_ACTION = "staff_action"
    API_CHECK = "api_check"
    SYSTEM = "system"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class OutboundStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"  # opted out, or no longer makes sense


def utcnow() -> datetime:
    return datetime.now(UTC)


class Customer(Base):
    """A driver, known only by phone number (E.164)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    # Chosen by the driver (KIELI, SPRÅK, LANGUAGE; the voice menu).
    language: Mapped[str | None] = mapped_column(String(2))
    # The language of the driver's last understood message that revealed one: answers a
    # message that reveals none when no language was chosen (customers.choose_language).
    last_language: Mapped[str | None] = mapped_column(String(2))
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A question the service asked and the driver's next SMS may answer ("which car?").
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Stripe: the driver's customer object, and the card saved with the driver's consent
    # (given on the payment page) for off-session charges of later parkings.
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    saved_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    card_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    vehicles: Mapped[list[Vehicle]] = relationship(
        back_populates="customer", order_by="Vehicle.last_used_at.desc()"
    )

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None


class Vehicle(Base):
    """A plate a customer has parked; ``plate_key`` is the normalised form used for matching."""

    __tablename__ = "vehicles"
    # Its index also serves lookups by customer alone: ``customer_id`` has none of its own.
    __table_args__ = (UniqueConstraint("customer_id", "plate_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    plate_key: Mapped[str] = mapped_column(String(16), index=True)
    plate_display: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="vehicles")


class Zone(Base):
    """A parking zone and its tariff, as imported from the zones file."""

    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    rate_per_hour_cents: Mapped[int] = mapped_column(Integer)
    paid_hours: Mapped[dict[str, str]] = mapped_column(JSON)
    daily_cap_cents: Mapped[int | None] = mapped_column(Integer)
    max_minutes: Mapped[int | None] = mapped_column(Integer)
    bookable: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int | None] = mapped_column(Integer)
    # The booking terms of a bookable zone, as the zones file gives them; None takes the
    # default of :func:`app.domain.booking_policy.booking_policy_from_fields`.
    slot_minutes: Mapped[int | None] = mapped_column(Integer)
    booking_hours: Mapped[dict[str, str] | None] = mapped_column(JSON)
    min_notice_minutes: Mapped[int | None] = mapped_column(Integer)
    max_advance_days: Mapped[int | None] = mapped_column(Integer)
    cancel_free_until_minutes: Mapped[int | None] = mapped_column(Integer)
    cancel_late_refund_percent: Mapped[int | None] = mapped_column(Integer)
    hold_minutes: Mapped[int | None] = mapped_column(Integer)
    booking_rate_per_hour_cents: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Digits a caller keys (or says) for this zone on the voice menu, for a code with
    # letters (``EV1``); None for an all-digit code, which is its own.
    phone_code: Mapped[str | None] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Order(Base):
    """A parking or a booking. Plate and zone are kept on the order as they were at the time."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_plate_status", "plate_key", "status"),
        Index("ix_orders_status_ends_at", "status", "ends_at"),
        # Also serves queries by zone alone: ``zone_id`` has no index of its own.
        Index("ix_orders_zone_kind_status", "zone_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[OrderKind] = mapped_column(_enum(OrderKind, "order_kind"))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "order_channel"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    plate_key: Mapped[str] = mapped_column(String(16))
    plate_display: Mapped[str] = mapped_column(String(24))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The planned end: start + chosen duration, or the zone's longest stay for an
    # open-ended parking, or None for an open-ended parking in a zone without a limit.
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    open_ended: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set while an extension is not yet paid: the time from here to ``ends_at`` was added
    # but not paid for, and counts as valid only within the payment grace
    # (``payment_due_at``). None when everything up to ``ends_at`` is paid, free, or (for
    # an order ``awaiting_payment``) when nothing is paid yet.
    unpaid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Made by a phone or for a plate that left a parking unpaid in the last 24 hours: no
    # payment grace, so while ``awaiting_payment`` it is not valid (``orders.valid_until``).
    grace_withheld: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The token of the order's own page (``/o/<token>``): stop, extend, receipt, without
    # a phone. Anyone holding the link may manage the order, so it is never shown to staff.
    manage_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The idempotency key of the web form submission that created the order: a double
    # submit or a reload finds this order instead of parking twice.
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(2))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A booking's short reference (``K7M2QX``), what the driver quotes to cancel or move it.
    booking_ref: Mapped[str | None] = mapped_column(String(8), unique=True)
    # Until when an unpaid booking holds its space (``awaiting_payment``); None once paid.
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A booking's reminder before its start (``reminder_sent_at`` is the one before its end).
    start_reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer | None] = relationship()
    zone: Mapped[Zone] = relationship()
    payments: Mapped[list[Payment]] = relationship(back_populates="order", order_by="Payment.id")


class Payment(Base):
    """One payment attempt for an order; an order may have several."""

    __tablename__ = "payments"
    # Partial: a payment is created without either reference.
    __table_args__ = (
        Index("ix_payments_provider_ref", "provider_ref", **_where_set("provider_ref")),
        Index("ix_payments_checkout_ref", "checkout_ref", **_where_set("checkout_ref")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_ref: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus, "payment_status"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    captured_cents: Mapped[int] = mapped_column(Integer, default=0)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    # The short token of the link in the SMS (/pay/<token>) and of the receipt page.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    failure_reason: Mapped[str | None] = mapped_column(String(255))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The provider's hosted checkout for this payment (a Stripe Checkout Session id); the
    # paying object itself (a PaymentIntent id) is ``provider_ref``.
    checkout_ref: Mapped[str | None] = mapped_column(String(255))
    # The driver's answer to "save my card" for this payment: None until asked.
    save_card: Mapped[bool | None] = mapped_column(Boolean)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")


class Event(Base):
    """The timeline: everything said and done, in every channel."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_customer_created", "customer_id", "created_at"),
        # Partial: many events have no demand (not a contact), no case or no external id.
        Index("ix_events_demand_created", "demand", "created_at", **_where_set("demand")),
        Index("ix_events_case_id", "case_id", **_where_set("case_id")),
        Index("ix_events_external_id", "external_id", **_where_set("external_id")),
        # The retention sweep (texts older than N days) and /metrics (counts by kind).
        Index("ix_events_kind_created", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "event_channel"))
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "event_kind"))
    body: Mapped[str] = mapped_column(Text, default="")
    # For inbound messages and call steps: did the service understand it? None elsewhere.
    understood: Mapped[bool | None] = mapped_column(Boolean)
    intent: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # A message of a staff inbox case (the driver's, or staff's answer).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # Inbound contacts only (an SMS, a call, a web form submission): value or failure
    # demand and, for failure, why; the zone and the sign it is attributed to.
    demand: Mapped[Demand | None] = mapped_column(_enum(Demand, "event_demand"))
    demand_reason: Mapped[DemandReason | None] = mapped_column(
        _enum(DemandReason, "event_demand_reason")
    )
    zone_code: Mapped[str | None] = mapped_column(String(16))
    sign_code: Mapped[str | None] = mapped_column(String(24))

    customer: Mapped[Customer | None] = relationship()
    order: Mapped[Order | None] = relationship()


class Case(Base):
    """A staff inbox case: what the grammar cannot do, for a person to answer.

    At most one open case per customer; later messages thread into it. Its messages are
    timeline events with ``case_id``.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_one_open_per_customer",
            "customer_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_cases_status_last", "status", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, "case_status"))
    # What opened it: complaint, question, not_understood, call.
    reason: Mapped[str] = mapped_column(String(24))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    customer: Mapped[Customer] = relationship()
    assigned_to: Mapped[User | None] = relationship()


class WebhookReceipt(Base):
    """One row per webhook delivery id (Twilio ``MessageSid``, Stripe event id).

    Inserted in the same transaction as the work the delivery causes: a concurrent
    duplicate blocks on the unique key until the first commits, then finds this row and
    answers with the stored response instead of doing the work again.
    """

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboundMessage(Base):
    """The outbox: every SMS sent later than the webhook reply is a row first."""

    __tablename__ = "outbound_messages"
    __table_args__ = (Index("ix_outbound_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    to_number: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32))
    status: Mapped[OutboundStatus] = mapped_column(_enum(OutboundStatus, "outbound_status"))
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Not sent after this moment: a reminder after the end it warns about, an expiry
    # notice hours late. Such a message is dropped (``suppressed``) and noted in the timeline.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(255))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()


class ApiToken(Base):
    """A handheld's bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class User(Base):
    """A panel user: an attendant or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginThrottle(Base):
    """Failed panel sign-ins per user name (``name:<name>``) and per address (``ip:<addr>``).

    Kept in the database so that every gunicorn worker sees the same count. Too many
    failures within the window lock the key until ``locked_until``.
    """

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RequestCount(Base):
    """Requests per key (``<scope>:<address>``) in one fixed window, for the per-address
    limits on the web forms, panel sign-in and the API. In the database so that every
    node and worker counts the same requests."""

    __tablename__ = "request_counts"
    __table_args__ = (UniqueConstraint("key", "window_start", name="uq_request_counts_window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(160))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


class PlateCheckLog(Base):
    """One plate check, in the panel or by a handheld: who checked which plate, where, and
    what they saw."""

    __tablename__ = "plate_checks"
    __table_args__ = (Index("ix_plate_checks_plate_checked", "plate_key", "checked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Either the attendant in the panel or the handheld's API token.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    plate_key: Mapped[str] = mapped_column(String(16))
    plate_display: Mapped[str] = mapped_column(String(24))
    zone_code: Mapped[str | None] = mapped_column(String(16))
    valid: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str | None] = mapped_column(String(24))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()
    api_token: Mapped[ApiToken | None] = relationship()


class CallSession(Base):
    """One phone call to the voice menu, keyed by Twilio's ``CallSid``.

    The whole menu state lives here, so any worker can answer any step of the call.
    ``step`` numbers the prompts: every ``<Gather>`` action carries the step it answers,
    and each (CallSid, step) is claimed once through :class:`WebhookReceipt`.
    """

    __tablename__ = "call_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    from_number: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))
    can_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    step: Mapped[int] = mapped_column(Integer, default=0)
    silence_count: Mapped[int] = mapped_column(Integer, default=0)
    invalid_count: Mapped[int] = mapped_column(Integer, default=0)
    last_prompt: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer | None] = relationship()


class WaitlistStatus(enum.StrEnum):
    #: in line for a space
    WAITING = "waiting"
    #: a space is held for the driver (``order``) until ``offer_expires_at``
    OFFERED = "offered"
    #: the driver took the offer: ``order`` is theirs to pay as any booking
    TAKEN = "taken"
    #: the offer lapsed untaken: the space went to the next in line
    PASSED = "passed"
    #: the window began with no space freed, or the driver can no longer be texted
    EXPIRED = "expired"


class WaitlistEntry(Base):
    """A driver in line for a space of a full bookable zone for one window.

    When a space frees, the first in line (by ``created_at``) whose window fits is offered
    it: a booking (``order``) held for the zone's ``hold_minutes``, taken by one word.
    """

    __tablename__ = "waitlist_entries"
    __table_args__ = (Index("ix_waitlist_zone_status", "zone_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    plate_key: Mapped[str] = mapped_column(String(16))
    plate_display: Mapped[str] = mapped_column(String(24))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[WaitlistStatus] = mapped_column(_enum(WaitlistStatus, "waitlist_status"))
    # The held booking offered to the driver (status offered, taken, passed).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
    zone: Mapped[Zone] = relationship()
    order: Mapped[Order | None] = relationship()

"""Devices that receive push notifications: phones (FCM, APNs) and browsers (Web Push)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import Platform, PushProvider


class Device(Model):
    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="devices", on_delete=fields.CASCADE)
    platform = fields.CharEnumField(Platform)
    provider = fields.CharEnumField(PushProvider)
    # The push address: an FCM or APNs token, or a Web Push subscription's endpoint URL. Like
    # every push token it is a capability the provider needs verbatim, so it is kept as given
    # (never hashed) and never shown in the API.
    token = fields.CharField(max_length=512, unique=True)
    app_id = fields.CharField(max_length=200, default="")
    app_version = fields.CharField(max_length=50, default="")
    critical_alerts = fields.BooleanField(default=False)
    critical_volume = fields.FloatField(default=1.0)
    sound = fields.CharField(max_length=100, default="default")
    # Web Push only (RFC 8291): the browser's P-256 public key and auth secret, base64url,
    # which every message is encrypted to. Needed verbatim to send, so stored like the token
    # and never returned by the API. NULL for phones.
    webpush_p256dh = fields.CharField(max_length=100, null=True)
    webpush_auth = fields.CharField(max_length=50, null=True)
    active = fields.BooleanField(default=True)
    deactivated_reason = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "devices"


class ServerKey(Model):
    """A key the server generated once for every process to share (the Web Push VAPID key
    when ``PAGERLINE_VAPID_PRIVATE_KEY`` is unset). The primary key is the name, so of two
    processes generating at once only one insert wins and both use the winner's key."""

    name = fields.CharField(max_length=50, primary_key=True)
    value = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "server_keys"

"""Users, teams and API tokens."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from pagerline.models.enums import Role, TokenKind


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200)
    role = fields.CharEnumField(Role, default=Role.USER)
    timezone = fields.CharField(max_length=64, default="UTC")
    password_hash = fields.CharField(max_length=200, null=True)
    # False once an admin deactivates the account: it cannot sign in, its tokens stop working,
    # it is never paged and its shifts do not count (see pagerline.engine.people.activity).
    active = fields.BooleanField(default=True, db_default=True)  # existing rows too, as the column is added
    muted_until = fields.DatetimeField(null=True)
    # Update notifications (a push that replaces the page on the lock screen).
    update_on_accepted = fields.BooleanField(default=True)
    update_on_resolved = fields.BooleanField(default=True)
    update_on_escalated = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    teams: fields.ManyToManyRelation[Team]
    # Phone numbers, addresses, ntfy topics, ...: see pagerline.models.contacts.

    class Meta:
        table = "users"


class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    members: fields.ManyToManyRelation[User] = fields.ManyToManyField(
        "models.User", related_name="teams", through="team_members"
    )

    class Meta:
        table = "teams"


class ApiToken(Model):
    """A bearer token. Only the SHA-256 of the secret is stored, the secret is shown once."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(TokenKind)
    # DEVICE tokens are bound to one registered device: unregistering it ends the token.
    device = fields.ForeignKeyField("models.Device", related_name="tokens", null=True, on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200, default="")
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_tokens"


class Invitation(Model):
    """An invitation link that lets its user set a password once (only its token's SHA-256 is stored).

    The link is shown once; a new invitation for the user replaces the old one."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitations", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invitations"

"""Workspace location and `coldmail.toml`: the controller identity and policies every email uses."""

from __future__ import annotations

import getpass
import os
import tomllib
from pathlib import Path

import platformdirs
import tomli_w
from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from coldmail.errors import ConfigError

CONFIG_NAME = "coldmail.toml"
DB_NAME = "coldmail.db"




class Environment(BaseSettings):
    """What the environment says: where the workspace is, which database, who is acting."""

    model_config = SettingsConfigDict(env_prefix="COLDMAIL_", extra="ignore")

    home: Path | None = None
    database_url: str | None = None
    user: str | None = None


class Controller(BaseModel):
    """The data controller's identity, shown in every email and every answer (GDPR Art. 13/14(1)(a))."""

    company: str = ""
    sender_name: str = ""
    sender_email: str = ""
    postal_address: str = ""
    privacy_url: str = ""
    dpo_email: str = ""
    country: str = ""
    unsubscribe_url: str = ""
    # Where `coldmail serve` is reachable (behind a TLS proxy); it turns on one-click unsubscribe,
    # the recipient's page and the short, layered notice in each email.
    public_url: str = ""
    # Who collects the data, named at `init` ("the sales team"); never the operating-system user.
    collected_by: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.company and self.sender_email and self.postal_address)


class Retention(BaseModel):
    """How long contact data is kept; the notice and the answers quote these figures."""

    never_contacted_months: int = Field(default=6, ge=1, le=36)
    no_reply_months: int = Field(default=24, ge=1, le=36)
    replied_months: int = Field(default=36, ge=1, le=36)




class Smtp(BaseModel):
    """The outgoing server. The password is never stored: it is read from `password_env`."""

    url: str = ""  # smtp://host:587 (STARTTLS when offered), smtps://host:465 (implicit TLS)
    username: str = ""
    password_env: str = "COLDMAIL_SMTP_PASSWORD"
    connections: int = Field(default=4, ge=1, le=32)
    timeout_seconds: float = Field(default=60, gt=0)
    require_tls: bool = False  # refuse to send in clear text when True


class Sending(BaseModel):
    """Conservative defaults: few messages per mailbox, in the recipient's business hours."""

    # Caps per sender mailbox; 0 turns one off.
    per_minute: int = Field(default=2, ge=0)
    per_hour: int = Field(default=40, ge=0)
    per_day: int = Field(default=150, ge=0)
    jitter_seconds: float = Field(default=20, ge=0)
    per_contact_days: int = Field(default=7, ge=1)
    per_contact_max: int = Field(default=2, ge=0)
    new_per_domain_per_day: int = Field(default=3, ge=0)
    window_days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])  # Monday = 0
    window_start: str = "09:00"
    window_end: str = "17:00"
    skip_holidays: bool = True
    country_rules: bool = True
    max_attempts: int = Field(default=5, ge=1)
    retry_base_minutes: float = Field(default=5, gt=0)
    poll_seconds: float = Field(default=60, gt=0)  # `coldmail run` reads replies this often

    @classmethod
    def unpaced(cls, *, country_rules: bool = False) -> Sending:
        """No caps, no spacing, every hour of every day: for demos, tests and benchmarks only."""
        return cls(per_minute=0, per_hour=0, per_day=0, jitter_seconds=0, per_contact_max=0,
                   new_per_domain_per_day=0, window_days=list(range(7)), window_start="00:00",
                   window_end="23:59", skip_holidays=False, country_rules=country_rules)


class Mailbox(BaseModel):
    """A sending account: its server, its sender identity and its own caps (0: the [sending] default).
    The password is never stored: it is read from `password_env`, by default COLDMAIL_PASSWORD_<NAME>."""

    smtp: str  # smtp://user@host:587 or smtps://user@host:465, without a password
    from_email: str
    from_name: str = ""
    imap: str = ""  # imaps://user@host:993/INBOX, read for replies by `coldmail run`
    password_env: str = ""
    per_day: int = Field(default=0, ge=0)
    per_hour: int = Field(default=0, ge=0)
    per_minute: int = Field(default=0, ge=0)


class Dns(BaseModel):
    """Resolvers for MX checks and `coldmail doctor`; empty means the system's."""

    nameservers: list[str] = Field(default_factory=list)
    port: int = 53
    timeout_seconds: float = Field(default=3.0, gt=0)
    cache_days: int = Field(default=7, ge=0)
    concurrency: int = Field(default=20, ge=1, le=200)


class Dkim(BaseModel):
    """DKIM signing (dkimpy) when a selector and a private key are configured."""

    selector: str = ""
    key_path: str = ""
    domain: str = ""  # default: the sender's domain


class Guards(BaseModel):
    """Pause a campaign before it burns the sender's domain."""

    max_bounce_rate: float = Field(default=0.05, ge=0, le=1)
    max_complaint_rate: float = Field(default=0.003, ge=0, le=1)
    min_sent: int = Field(default=20, ge=1)  # rates mean little below this


class Imap(BaseModel):
    """One mailbox to read replies from. The password is read from `password_env`, never stored."""

    host: str
    port: int = 993
    security: str = Field(default="ssl", pattern="^(ssl|starttls|none)$")
    user: str
    password_env: str = "COLDMAIL_IMAP_PASSWORD"
    mailbox: str = "INBOX"


class Config(BaseModel):
    controller: Controller = Field(default_factory=Controller)
    retention: Retention = Field(default_factory=Retention)
    smtp: Smtp = Field(default_factory=Smtp)
    sending: Sending = Field(default_factory=Sending)
    dns: Dns = Field(default_factory=Dns)
    dkim: Dkim = Field(default_factory=Dkim)
    guards: Guards = Field(default_factory=Guards)
    imap: dict[str, Imap] = Field(default_factory=dict)
    # Sending accounts by name; with none, [smtp] and the controller's sender are the mailbox "default".
    mailboxes: dict[str, Mailbox] = Field(default_factory=dict)
    recipients: list[str] = Field(default_factory=list)
    supervisory_authority: str = ""


def default_home() -> Path:
    env = Environment()
    if env.home:
        return Path(env.home).expanduser()
    return Path(platformdirs.user_data_dir("coldmail", appauthor=False))


def load_config(home: Path) -> Config:
    path = home / CONFIG_NAME
    if not path.exists():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Config.model_validate(data)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc


def save_config(home: Path, config: Config) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / CONFIG_NAME
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(config.model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    tmp.replace(path)
    return path


def current_actor() -> str:
    """Who is acting, for `collected_by` and the audit log."""
    env = Environment()
    if env.user:
        return env.user
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return os.environ.get("USER", "unknown")


"""Channels (data/comms/channels.py, ``warroom notify test``): messages sent through
Apprise to real local servers, and what a channel that cannot be used says."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import app.cli  # noqa: F401  (registers the commands on the group)
from app.cli_base import main
from data.comms.channels import masked_url
from tests._receivers import smtp, webhook


def _invoke(tmp_path: Path, config: str, *args: str) -> object:
    (tmp_path / "config.toml").write_text(config)
    env = {"WARROOM_CONFIG": str(tmp_path / "config.toml"), "WARROOM_JOURNAL": str(tmp_path / "j.jsonl"),
           "WARROOM_DB": str(tmp_path / "s.db"), "WARROOM_ACTOR": "amara", "HOME": str(tmp_path)}  # fmt: skip
    return CliRunner().invoke(main, list(args), env=env)


def test_notify_test_sends_to_a_json_webhook(tmp_path: Path) -> None:
    with webhook() as (url, got):
        r = _invoke(tmp_path, f'[notify.channels]\noncall = ["{url}"]\n', "notify", "test", "oncall")
        assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
        [message] = got.all()
    assert message["path"] == "/hook"
    assert message["json"]["title"] == "warroom: test message"
    assert "sent by amara" in message["json"]["message"]


def test_notify_test_sends_mail_through_a_real_smtp_server(tmp_path: Path) -> None:
    with smtp() as (url, got):
        r = _invoke(tmp_path, f'[notify.channels]\nmail = ["{url}"]\n', "notify", "test", "mail")
        assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
        [mail] = got.all()
    assert mail["to"] == ["oncall@example.org"] and mail["subject"] == "warroom: test message"
    assert "sent by amara" in mail["body"]


def test_a_refused_delivery_exits_1_and_never_shows_the_url(tmp_path: Path) -> None:
    with webhook() as (url, got):
        got.status = 500
        secret = url.replace("/hook", "/hook?token=s3cret")
        r = _invoke(tmp_path, f'[notify.channels]\noncall = ["{secret}"]\n', "notify", "test", "oncall")
    out = r.output  # type: ignore[attr-defined]
    assert r.exit_code == 1 and "not sent to oncall" in out  # type: ignore[attr-defined]
    assert "s3cret" not in out


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ("", "no channel named 'oncall' (channels: none"),
        ('[notify.channels]\nother = ["json://127.0.0.1:9/x"]\n', "channels: other"),
        (
            '[notify.channels]\noncall = ["nosuchservice://x.example.org/t0ken"]\n',
            "Apprise does not know the URL nosuchservice://x.example.org…",
        ),
        ('[notify.channels]\noncall = "json://x"\n', "notify.channels must map channel names"),
    ],
)
def test_a_channel_that_cannot_be_used_is_a_usage_error(tmp_path: Path, config: str, says: str) -> None:
    r = _invoke(tmp_path, config, "notify", "test", "oncall")
    assert r.exit_code == 2, r.output  # type: ignore[attr-defined]
    assert says in r.output  # type: ignore[attr-defined]


def test_masked_urls_keep_the_service_and_host_only() -> None:
    assert masked_url("slack://TokenA/TokenB/TokenC/#chan") == "slack://…"  # a bare word may be a token
    assert masked_url("mailto://user:pw@mail.example.org:25?to=a@b") == "mailto://mail.example.org:25…"
    assert "pw" not in masked_url("json://user:pw@host/path")

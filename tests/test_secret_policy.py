"""The one secrets policy: masking whole subtrees, restoring by identity, free text, URLs."""

from __future__ import annotations

import copy
import json

import pytest

from console.secret_policy import (
    MASK,
    SecretRestoreError,
    changed_secrets,
    holds_secret,
    is_secret_key,
    mask,
    redact_text,
    redact_url,
    restore,
    url_holds_password,
)

STORED = {
    "channel": "#ops",
    "tokens": ["sk-live-1", "sk-live-2"],
    "auth": {"user": "bot", "pass": "pa55-auth"},
    "webhook": {"url": "https://hooks.example.com/T0/B0/whsec-42"},
    "retries": 3,
    "api_key": 123456789,
    "endpoints": [
        {"url": "https://a.example.com", "token": "tok-A"},
        {"url": "https://b.example.com", "token": "tok-B"},
    ],
    "mirror": "https://bot:mirror-pw@git.example.com/repo.git",
    "author": "alice",
    "session_cookie": None,
    "token_enabled": True,
}
SECRETS = ("sk-live-1", "sk-live-2", "pa55-auth", "whsec-42", "123456789", "tok-A", "tok-B")


def test_secret_named_keys_are_masked_whole_whatever_the_value() -> None:
    masked = mask(STORED)
    text = json.dumps(masked, ensure_ascii=False)
    for secret in (*SECRETS, "mirror-pw"):
        assert secret not in text
    assert masked["tokens"] == MASK  # a list
    assert masked["auth"] == MASK  # an object
    assert masked["webhook"] == MASK  # an object holding a URL
    assert masked["api_key"] == MASK  # a number
    assert masked["endpoints"][1] == {"url": "https://b.example.com", "token": MASK}
    assert masked["mirror"] == f"https://bot:{MASK}@git.example.com/repo.git"
    # What is not a secret stays readable: plain values, null, booleans, "author".
    assert (masked["channel"], masked["retries"], masked["author"]) == ("#ops", 3, "alice")
    assert masked["session_cookie"] is None and masked["token_enabled"] is True
    assert holds_secret(STORED) and not holds_secret({"channel": "#ops"})
    assert mask(masked) == masked  # idempotent: masking the masked form changes nothing
    assert STORED["tokens"] == ["sk-live-1", "sk-live-2"]  # the input is not changed


@pytest.mark.parametrize(
    "key",
    [
        "token",
        "tokens",
        "api_key",
        "apiKey",
        "pass",
        "db_pass",
        "password",
        "auth",
        "Authorization",
        "DSN",
        "bearer_token",
        "jwt",
        "signature",
    ],
)
def test_secret_key_names(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["author", "channel", "keyboard", "url", "passes", "monkey"])
def test_innocent_key_names(key: str) -> None:
    assert not is_secret_key(key)


def test_an_unchanged_masked_document_restores_to_the_stored_one() -> None:
    assert restore(mask(STORED), STORED) == STORED


def test_placeholders_keep_their_secret_by_key_path() -> None:
    edited = mask(STORED)
    edited["channel"] = "#deploys"
    edited["auth"] = {"user": "bot2", "pass": "new-pass"}  # a replaced secret is taken as typed
    saved = restore(edited, STORED)
    assert saved["channel"] == "#deploys" and saved["auth"] == edited["auth"]
    assert saved["tokens"] == STORED["tokens"] and saved["webhook"] == STORED["webhook"]
    assert saved["mirror"] == STORED["mirror"] and saved["api_key"] == 123456789


def test_deleting_the_first_endpoint_keeps_the_second_ones_token() -> None:
    """The issue's case: by position, endpoint B would have been saved with A's token."""
    edited = mask(STORED)
    del edited["endpoints"][0]
    saved = restore(edited, STORED)
    assert saved["endpoints"] == [{"url": "https://b.example.com", "token": "tok-B"}]


def test_reordered_endpoints_keep_their_own_tokens() -> None:
    edited = mask(STORED)
    edited["endpoints"].reverse()
    edited["endpoints"].append({"url": "https://c.example.com", "token": "tok-C"})
    saved = restore(edited, STORED)
    assert saved["endpoints"] == [
        {"url": "https://b.example.com", "token": "tok-B"},
        {"url": "https://a.example.com", "token": "tok-A"},
        {"url": "https://c.example.com", "token": "tok-C"},
    ]


def test_an_element_edited_in_place_keeps_its_slot_secret() -> None:
    edited = mask(STORED)
    edited["endpoints"][0]["url"] = "https://a2.example.com"
    saved = restore(edited, STORED)
    assert saved["endpoints"][0] == {"url": "https://a2.example.com", "token": "tok-A"}


def test_ambiguous_list_changes_are_refused_with_a_message() -> None:
    stored = {"hooks": [{"token": "t1"}, {"token": "t2"}]}
    shortened = {"hooks": [{"token": MASK}]}
    with pytest.raises(SecretRestoreError) as info:
        restore(shortened, stored)
    assert info.value.path == "hooks[0]"
    assert "re" in str(info.value) and "secret itself" in str(info.value)
    # Reordered *and* edited: no stored element looks like it, and the list moved.
    stored2 = {"eps": [{"u": "a", "token": "ta"}, {"u": "b", "token": "tb"}]}
    moved = {"eps": [{"u": "b2", "token": MASK}, {"u": "a", "token": MASK}]}
    with pytest.raises(SecretRestoreError):
        restore(moved, stored2)


@pytest.mark.parametrize(
    "edited, path",
    [
        ({"api_token": MASK}, "api_token"),  # a placeholder where nothing is stored
        ({"tokens": [MASK, "sk-new"]}, "tokens"),  # part of a list masked whole
        ({"mirror": f"https://bot:{MASK}@other.example.com/r.git"}, "mirror"),  # host changed
        ({"channel": f"#ops{MASK}"}, "channel"),
    ],
)
def test_a_placeholder_that_is_not_the_shown_value_is_refused(edited, path: str) -> None:
    with pytest.raises(SecretRestoreError) as info:
        restore(edited, STORED)
    assert info.value.path == path


def test_changed_secrets_are_named_by_path() -> None:
    new = copy.deepcopy(STORED)
    new["auth"] = {"user": "bot", "pass": "other"}
    new["endpoints"][1]["token"] = "tok-B2"
    new["mirror"] = "https://bot:new-pw@git.example.com/repo.git"
    new["channel"] = "#elsewhere"  # visible anyway: not listed
    assert changed_secrets(STORED, new) == ["auth", "endpoints[1].token", "mirror"]
    assert changed_secrets(STORED, STORED) == []


def test_a_document_too_deep_to_walk_is_hidden_whole() -> None:
    deep: dict = {"token": "sk-deep"}
    for _ in range(3000):
        deep = {"a": deep}
    assert mask(deep) == MASK
    assert mask({"ok": 1}) == {"ok": 1}  # and the next document is walked as usual
    with pytest.raises(SecretRestoreError, match="nested too deeply"):
        restore({"x": deep, "y": MASK}, {"x": deep, "y": "s"})


def test_free_text_and_urls() -> None:
    assert redact_text("postgresql://u:pw1@h/db") == "postgresql://u:***@h/db"
    assert "s3" not in redact_text("host=h password=s3 user=u")
    assert "s3" not in redact_text('{"api_key": "s3"}')
    assert redact_url("postgresql://u@h/db?sslmode=require&password=s3") == (
        "postgresql://u@h/db?sslmode=require&password=***"
    )
    assert url_holds_password("postgresql://u@h/db?PASSWORD=x")
    assert url_holds_password("postgresql://u@h/db?options=-c%20password%3Dx")
    assert not url_holds_password("postgresql://u@h/db?sslmode=require")


def test_webhook_urls_under_innocent_keys_hide_their_path() -> None:
    doc = {
        "notify": {"url": "https://hooks.slack.com/services/T0/B0/xyz-slack"},
        "discord": "https://discord.com/api/webhooks/123/xyz-discord",
        "docs": "https://example.com/guide/hooks-and-more",
    }
    masked = mask(doc)
    assert masked["notify"]["url"] == f"https://hooks.slack.com/{MASK}"
    assert masked["discord"] == f"https://discord.com/{MASK}"
    assert masked["docs"] == doc["docs"]  # not a webhook path
    assert restore(masked, doc) == doc

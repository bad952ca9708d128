"""Local HTTPS stand-ins for the neural voice services (server.py: the proxy, TLS and
faults; azure.py and google_cloud.py: what each service checks and answers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audio_pipeline.engines.base import NetworkSettings

from .azure import Azure
from .google_cloud import GoogleCloud
from .server import Schedule, Service, StandIn

# keys planted for the tests: none may ever be seen in a log, an error, a URL or a file
AZURE_KEY = "azkey-7f3c9e1d5b2a48c6a0e4d2f1b3c5e7a9"
GOOGLE_KEY = "AIzaSyTEST-planted-key-9d8c7b6a5f4e3d2c1b0"
REGION = "koreacentral"
KEYS = {"SPEECH_KEY": AZURE_KEY, "SPEECH_REGION": REGION, "GOOGLE_API_KEY": GOOGLE_KEY}

# Timeouts scaled down from the defaults (5/20/45 s) so a hung connection costs a second.
NET = NetworkSettings(
    connect_timeout_s=1.0,
    read_timeout_s=1.0,
    attempt_timeout_s=2.5,
    backoff_base_s=0.02,
    backoff_max_s=0.2,
    requests_per_minute=0,
)


def service(name: str) -> Service:
    return Azure(key=AZURE_KEY, region=REGION) if name == "azure" else GoogleCloud(key=GOOGLE_KEY)


class Serve:
    """Starts stand-ins and points the process at them: HTTPS_PROXY and REQUESTS_CA_BUNDLE
    (the test CA), as a producer behind a proxy would; the keys in the environment."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        self.monkeypatch = monkeypatch
        self.folder = folder
        self.servers: list[StandIn] = []

    def __call__(
        self,
        schedule: Schedule,
        *names: str,
        keys: dict[str, str] | None = None,
        **options: object,
    ) -> StandIn:
        services = [service(n) for n in names or ("azure", "google-cloud")]
        server = StandIn(services[0], schedule, also=tuple(services[1:]), **options)  # type: ignore[arg-type]
        server.start()
        self.servers.append(server)
        bundle = server.write_ca(self.folder / f"standin-ca-{len(self.servers)}.pem")
        for name in ("HTTPS_PROXY", "https_proxy"):
            self.monkeypatch.setenv(name, server.proxy_url)
        for name in ("NO_PROXY", "no_proxy"):
            self.monkeypatch.delenv(name, raising=False)
        self.monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        for name, value in (KEYS if keys is None else keys).items():
            self.monkeypatch.setenv(name, value)
        return server

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Serve]:
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)
    helper = Serve(monkeypatch, tmp_path)
    yield helper
    helper.stop()

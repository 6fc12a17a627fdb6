"""HTTP to NCBI as NCBI asks: ``tool`` and ``email`` on every E-utilities request,
at most 3 requests a second (10 with an API key) across every evidex process
that shares a data directory, timeouts, and retries with backoff on 429, 5xx and
timeouts.  A host that cannot be reached at all fails at once: the caller answers
from the local corpus instead of waiting."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

try:
    import fcntl
except ImportError:  # not on a Unix: pacing is per process
    fcntl = None  # type: ignore[assignment]

from evidex.settings import PubMedSettings

BACKOFF_SECONDS = 0.5  # first wait after a 429, 5xx or timeout; doubled each retry
MAX_BACKOFF_SECONDS = 8.0
MAX_RETRY_AFTER_SECONDS = 30.0  # a longer Retry-After is not worth waiting for inside a question


class PubMedUnavailable(RuntimeError):
    """PubMed could not be asked (unreachable, timed out, refused the request); the message says why."""


class RequestPacer:
    """At most ``per_second`` requests a second, shared through ``path`` by every process that uses it.

    Each request reserves the next free slot in the file under a lock and then
    sleeps until its slot, so processes never wait for each other's sleep.
    """

    def __init__(self, per_second: float, path: Path | None = None) -> None:
        self.interval = 1.0 / per_second
        self.path = path
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        with self._lock:
            now = time.time()
            if self.path is not None and fcntl is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a+") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX)
                    handle.seek(0)
                    try:
                        last = float(handle.read().strip() or 0)
                    except ValueError:
                        last = 0.0
                    slot = max(now, last + self.interval)
                    handle.seek(0)
                    handle.truncate()
                    handle.write(repr(slot))
            else:
                slot = max(now, self._next)
                self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


class NcbiClient:
    """GET and POST to NCBI with pacing, timeouts and retries."""

    def __init__(self, settings: PubMedSettings, pacer_path: Path | None = None, user_agent: str = "evidex") -> None:
        self.settings = settings
        self.pacer = RequestPacer(settings.requests_per_second, pacer_path)
        self.http = httpx.Client(
            timeout=settings.timeout_seconds, follow_redirects=True, headers={"User-Agent": user_agent}
        )

    def close(self) -> None:
        self.http.close()

    def eutils_params(self) -> dict[str, str]:
        """What NCBI asks every E-utilities request to carry."""
        params = {"tool": self.settings.tool}
        if self.settings.email:
            params["email"] = self.settings.email
        if self.settings.api_key is not None:
            params["api_key"] = self.settings.api_key.get_secret_value()
        return params

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        data: dict | None = None,
        headers: dict[str, str] | None = None,
        paced: bool = True,
        stream: bool = False,
    ) -> httpx.Response:
        """The response to a request that succeeded (2xx), after retries; raises :class:`PubMedUnavailable`.

        With ``stream`` the body is left unread: close the response when done."""
        left = self.settings.retries
        pause = BACKOFF_SECONDS
        while True:
            if paced:
                self.pacer.wait()
            request = self.http.build_request(method, url, params=params, data=data, headers=headers)
            retry_after = None
            try:
                response = self.http.send(request, stream=stream)
            except httpx.TimeoutException:
                if left <= 0:
                    raise PubMedUnavailable(
                        f"{_host(url)} did not answer within {self.settings.timeout_seconds:g} s"
                        f" ({self.settings.retries + 1} tries)"
                    ) from None
            except httpx.TransportError as exc:
                raise PubMedUnavailable(f"cannot reach {_host(url)}: {exc or type(exc).__name__}") from None
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return response
                if not (status == 429 or status >= 500) or left <= 0:
                    message = _error_text(response)
                    response.close()
                    raise PubMedUnavailable(f"{_host(url)} answered {status}: {message}")
                retry_after = response.headers.get("Retry-After")
                response.close()
            left -= 1
            wait = pause
            if retry_after and retry_after.strip().isdigit():
                wait = min(float(retry_after), MAX_RETRY_AFTER_SECONDS)
            time.sleep(wait)
            pause = min(pause * 2, MAX_BACKOFF_SECONDS)


def _host(url: str) -> str:
    return httpx.URL(url).host or url


def _error_text(response: httpx.Response) -> str:
    """NCBI's own words for an error: the JSON "error" field, else the start of the body."""
    try:
        response.read()
        body = response.json()
        if isinstance(body, dict) and body.get("error"):
            return str(body["error"])
    except (ValueError, httpx.HTTPError):
        pass
    text = " ".join(response.text.split()) if response.content else response.reason_phrase
    return text[:200]

"""Who may change the map: read-only mode, the editor token, and the snapshot limits.

Three set-ups, chosen by the environment of the server process (read again on every call, so
nothing a browser sends can change them):

* neither variable set: everyone may edit (the laptop default);
* ``GEO_EDITOR_TOKEN=<secret>``: a session may edit once its user has entered the secret
  (compared in constant time); until then, and with a wrong secret, the map is view-only;
* ``GEO_READ_ONLY=1``: nobody may edit, whatever the token.

"Editing" is every write: adding articles, corrections and place rules, undo, deleting, and new
snapshots. Viewing, filtering, links, opening snapshots already made and downloads never write.

The UI hides the editing widgets when `may_edit` says no; `GuardedStore` checks again on every
write method, so a crafted widget interaction or session state still cannot write.
"""
from __future__ import annotations

import hmac
import os
import time
from collections import deque
from typing import Callable, Mapping, Optional

READ_ONLY_ENV = "GEO_READ_ONLY"
TOKEN_ENV = "GEO_EDITOR_TOKEN"

SNAPSHOT_LIMIT = 10                 # snapshots a session may create ...
SNAPSHOT_WINDOW_S = 600.0           # ... within this many seconds
MAX_SNAPSHOT_EVENTS = 20_000        # a bigger view cannot be frozen (narrow it first)

READ_ONLY_MESSAGE = "This map is read-only."
NEEDS_TOKEN_MESSAGE = "Editing needs the editor token (in the sidebar)."
WRONG_TOKEN_MESSAGE = "Wrong editor token: the map stays view-only."
_FALSE = {"", "0", "false", "no", "off"}

# The Store methods that write (geo/store.py); GuardedStore refuses them without editing rights.
WRITE_METHODS = frozenset({"add", "delete_article", "correct", "set_hidden", "set_type", "set_date",
                           "add_place_rule", "undo_correction", "rebuild_incidents", "save_snapshot",
                           "rename_snapshot", "delete_snapshot"})


class Refused(PermissionError):
    """A write this session may not make; the message is one line for the user."""


def read_only(env: Mapping[str, str] = os.environ) -> bool:
    """Whether GEO_READ_ONLY is set. Any value but empty/0/false/no/off counts (fails closed)."""
    return env.get(READ_ONLY_ENV, "").strip().lower() not in _FALSE


def editor_token(env: Mapping[str, str] = os.environ) -> Optional[str]:
    """The configured editor secret (GEO_EDITOR_TOKEN, surrounding blanks ignored), or None."""
    token = env.get(TOKEN_ENV, "").strip()
    return token or None


def token_matches(entered: Optional[str], expected: str) -> bool:
    """Whether `entered` is the editor secret, compared in constant time (hmac.compare_digest)."""
    if not isinstance(entered, str) or not expected:
        return False
    return hmac.compare_digest(entered.strip().encode("utf-8"), expected.encode("utf-8"))


def may_edit(entered: Optional[str] = None, env: Mapping[str, str] = os.environ) -> bool:
    """Whether a session that entered `entered` (None: nothing) may change the map now."""
    if read_only(env):
        return False
    expected = editor_token(env)
    return expected is None or token_matches(entered, expected)


def refusal(entered: Optional[str] = None, env: Mapping[str, str] = os.environ) -> Optional[str]:
    """None when the session may edit, else the one-line reason it may not."""
    if read_only(env):
        return READ_ONLY_MESSAGE
    if not may_edit(entered, env):
        return NEEDS_TOKEN_MESSAGE
    return None


def needs_token(env: Mapping[str, str] = os.environ) -> bool:
    """Whether the sidebar should ask for the editor token (a token is set and the map is not read-only)."""
    return not read_only(env) and editor_token(env) is not None


class RateLimiter:
    """At most `limit` events per `window_s` seconds (a sliding window); `clock` is injectable
    for tests (default time.monotonic). One per session, kept in st.session_state."""

    def __init__(self, limit: int = SNAPSHOT_LIMIT, window_s: float = SNAPSHOT_WINDOW_S,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self.window_s, self.clock = int(limit), float(window_s), clock
        self._times: deque = deque()

    def _expire(self, now: float) -> None:
        while self._times and now - self._times[0] >= self.window_s:
            self._times.popleft()

    def remaining(self) -> int:
        """How many more events are allowed right now."""
        self._expire(self.clock())
        return max(0, self.limit - len(self._times))

    def allow(self) -> bool:
        """Count one event and return True, or return False (and count nothing) if over the limit."""
        now = self.clock()
        self._expire(now)
        if len(self._times) >= self.limit:
            return False
        self._times.append(now)
        return True

    def retry_after(self) -> float:
        """Seconds until the next event would be allowed (0 if now)."""
        now = self.clock()
        self._expire(now)
        if len(self._times) < self.limit:
            return 0.0
        return max(0.0, self._times[0] + self.window_s - now)


def snapshot_size_refusal(n_events: int, cap: int = MAX_SNAPSHOT_EVENTS) -> Optional[str]:
    """None when a snapshot of `n_events` events is allowed, else the one-line reason."""
    if n_events > cap:
        return f"A snapshot holds at most {cap:,} events (this view has {n_events:,}): narrow the view first."
    return None


class GuardedStore:
    """A Store whose write methods first ask `why_not()` again (and, for save_snapshot, the size
    cap and the session's rate limiter); they raise Refused instead of writing. Everything else
    is the wrapped store's own attribute."""

    def __init__(self, store, why_not: Callable[[], Optional[str]], limiter: Optional[RateLimiter] = None,
                 max_snapshot_events: Optional[int] = None):
        """why_not(): None when this session may write now, else the one-line refusal (see `refusal`);
        limiter: this session's snapshot limiter (None: no limit); max_snapshot_events: None means
        MAX_SNAPSHOT_EVENTS (read when a snapshot is made)."""
        self._store, self._why_not, self._limiter = store, why_not, limiter
        self._max_snapshot_events = max_snapshot_events

    def require_edit(self) -> None:
        """Raise Refused unless this session may write now."""
        reason = self._why_not()
        if reason:
            raise Refused(reason)

    def __getattr__(self, name):
        attr = getattr(self._store, name)
        if name not in WRITE_METHODS:
            return attr

        def guarded(*args, **kwargs):
            self.require_edit()
            return attr(*args, **kwargs)
        guarded.__name__, guarded.__doc__ = name, attr.__doc__
        return guarded

    def save_snapshot(self, view, events, title: str = "", note: str = ""):
        """Store.save_snapshot, if this session may edit, the view is small enough and the
        session has not used up its snapshots for now."""
        self.require_edit()
        events = list(events)
        cap = MAX_SNAPSHOT_EVENTS if self._max_snapshot_events is None else self._max_snapshot_events
        too_big = snapshot_size_refusal(len(events), cap)
        if too_big:
            raise Refused(too_big)
        if self._limiter is not None and not self._limiter.allow():
            wait = max(1, round(self._limiter.retry_after() / 60))
            raise Refused(f"At most {self._limiter.limit} snapshots per {self._limiter.window_s / 60:g} minutes "
                          f"in a session: try again in about {wait} minute{'s' if wait != 1 else ''}.")
        return self._store.save_snapshot(view, events, title=title, note=note)

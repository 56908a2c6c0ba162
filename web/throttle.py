"""Password guessing, slowed without locking the office out.

Only failures count. Per account (the name typed, whether or not it exists,
so a lock says nothing about which names are real): after
LOGIN_ACCOUNT_FAILURES (5 in 15 minutes) the account refuses even the right
password for LOGIN_LOCK_MINUTES (15), or until an administrator lifts the
lock. Per client address, a much higher ceiling on failures only
(LOGIN_ADDRESS_FAILURES), so one address cannot try its way through many
accounts, while a whole office behind one NAT logs in every morning.

The counts live in RATELIMIT_STORAGE_URI (`limits`, the library under
Flask-Limiter): memory:// for one process, redis://… to share them between
workers.
"""
import datetime
import functools
import logging
import time

from flask import current_app
from limits import RateLimitItemPerMinute, parse, storage, strategies


log = logging.getLogger(__name__)


def tolerant(fallback):
    """A count store that does not answer (Redis down) must not lock the
    office out: the login goes on as if nothing were counted, and the log
    says so (`check-deploy` also tries the store)."""
    def wrap(method):
        @functools.wraps(method)
        def guarded(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except Exception:  # the store's own errors: redis, network
                log.exception("login throttle store unavailable")
                return fallback
        return guarded
    return wrap


class LoginThrottle:
    def __init__(self, config):
        self.storage = storage.storage_from_string(config["RATELIMIT_STORAGE_URI"])
        # A moving window counts exactly "5 in the last 15 minutes"; the lock
        # is one hit in a fixed window that expires 15 minutes after it.
        self.window = strategies.MovingWindowRateLimiter(self.storage)
        self.fixed = strategies.FixedWindowRateLimiter(self.storage)
        self.account_failures = parse(config["LOGIN_ACCOUNT_FAILURES"])
        self.lock = RateLimitItemPerMinute(1, int(config["LOGIN_LOCK_MINUTES"]))
        self.address_failures = parse(config["LOGIN_ADDRESS_FAILURES"])

    @staticmethod
    def _account(username):
        return (username or "").strip().lower()[:60]

    # --- questions --------------------------------------------------------
    @tolerant(None)
    def locked_until(self, username):
        """When the account's lock ends, or None when it is not locked."""
        key = self._account(username)
        if self.fixed.test(self.lock, "login-lock", key):
            return None
        reset = self.fixed.get_window_stats(self.lock, "login-lock", key).reset_time
        return datetime.datetime.fromtimestamp(reset).replace(microsecond=0)

    @tolerant(0)
    def address_blocked_for(self, address):
        """Seconds until this address may try again, or 0."""
        if self.window.test(self.address_failures, "login-address", address or "-"):
            return 0
        reset = self.window.get_window_stats(self.address_failures, "login-address", address or "-").reset_time
        return max(1, int(reset - time.time()))

    # --- events -----------------------------------------------------------
    @tolerant(False)
    def refused_while_locked(self, address):
        """A try on a locked account counts toward its address's ceiling:
        keeping accounts locked costs the same as guessing."""
        self.window.hit(self.address_failures, "login-address", address or "-")
        return False

    @tolerant(False)
    def failed(self, username, address):
        """Count a failure; True when it has just locked the account."""
        key = self._account(username)
        self.window.hit(self.address_failures, "login-address", address or "-")
        if self.window.hit(self.account_failures, "login-account", key) \
                and self.window.test(self.account_failures, "login-account", key):
            return False
        # The limit is reached: lock, and start the count afresh for the
        # tries after the lock has ended.
        self.fixed.hit(self.lock, "login-lock", key)
        self.window.clear(self.account_failures, "login-account", key)
        return True

    @tolerant(None)
    def succeeded(self, username):
        self.window.clear(self.account_failures, "login-account", self._account(username))

    @tolerant(False)
    def lift(self, username):
        """An administrator ends the lock (and the failures before it)."""
        key = self._account(username)
        self.fixed.clear(self.lock, "login-lock", key)
        self.window.clear(self.account_failures, "login-account", key)
        return True

    def reset(self):
        """Forget every count (tests)."""
        self.storage.reset()

    def reachable(self):
        """Does the count store answer? (`check-deploy`)"""
        try:
            return bool(self.storage.check())
        except Exception:
            return False


def current():
    return current_app.extensions["login_throttle"]


def init_app(app):
    app.extensions["login_throttle"] = LoginThrottle(app.config)

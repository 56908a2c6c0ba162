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
import time

from flask import current_app
from limits import RateLimitItemPerMinute, parse, storage, strategies


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
    def locked_until(self, username):
        """When the account's lock ends, or None when it is not locked."""
        key = self._account(username)
        if self.fixed.test(self.lock, "login-lock", key):
            return None
        reset = self.fixed.get_window_stats(self.lock, "login-lock", key).reset_time
        return datetime.datetime.fromtimestamp(reset).replace(microsecond=0)

    def address_blocked_for(self, address):
        """Seconds until this address may try again, or 0."""
        if self.window.test(self.address_failures, "login-address", address or "-"):
            return 0
        reset = self.window.get_window_stats(self.address_failures, "login-address", address or "-").reset_time
        return max(1, int(reset - time.time()))

    # --- events -----------------------------------------------------------
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

    def succeeded(self, username):
        self.window.clear(self.account_failures, "login-account", self._account(username))

    def lift(self, username):
        """An administrator ends the lock (and the failures before it)."""
        key = self._account(username)
        self.fixed.clear(self.lock, "login-lock", key)
        self.window.clear(self.account_failures, "login-account", key)

    def reset(self):
        """Forget every count (tests)."""
        self.storage.reset()


def current():
    return current_app.extensions["login_throttle"]


def init_app(app):
    app.extensions["login_throttle"] = LoginThrottle(app.config)

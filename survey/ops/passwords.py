"""The password policy, applied wherever a password is set (CLI, console, portal)."""

from __future__ import annotations

import re

from flask_babel import gettext as _

MIN_LENGTH = 10
# Passwords that appear at the top of every leaked-password list (and their Chinese-keyboard
# favourites); compared in lower case.
COMMON = frozenset({
    "1234567890", "12345678910", "0123456789", "1111111111", "1q2w3e4r5t", "1qaz2wsx3edc",
    "qwertyuiop", "qwerty12345", "qwerty123456", "password12", "password123", "password1234",
    "passw0rd123", "abc1234567", "abcd123456", "abc123456789", "a123456789", "aa123456789",
    "iloveyou123", "woaini1314", "woaini520", "5201314520", "admin12345", "admin123456",
    "welcome123", "zxcvbnm123", "qazwsxedc123", "asdfghjkl1", "1234qwer1234",
})
# Words that make a password guessable whatever digits are appended to them.
COMMON_WORDS = frozenset({
    "password", "passw0rd", "qwerty", "qwertyuiop", "admin", "administrator", "welcome",
    "iloveyou", "woaini", "abc", "abcd", "abcdef", "letmein", "manyi", "zxcvbnm", "asdfghjkl",
    "qazwsx", "qwer", "test", "changeme",
})


def password_problem(password: str, email: str = "") -> str | None:
    """Why `password` is too weak for the account `email`, or None when it is acceptable.

    Rules: at least 10 characters, letters and digits (so never digits only), not the
    e-mail address or its name part, not a commonly used password.
    """
    if len(password) < MIN_LENGTH:
        return _("Use at least 10 characters.")
    if not re.search(r"[^\W\d_]", password) or not re.search(r"\d", password):
        return _("Use both letters and digits.")
    lowered = password.lower()
    name = email.lower().split("@", 1)[0]
    if email and (lowered == email.lower() or (len(name) >= 4 and name in lowered)):
        return _("The password must differ from the e-mail address.")
    if lowered in COMMON or re.sub(r"[\W\d_]", "", lowered) in COMMON_WORDS:
        return _("This password is too common; choose another.")
    return None

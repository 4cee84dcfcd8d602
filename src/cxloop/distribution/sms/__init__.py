"""SMS providers behind one interface; see base.py for the contract and the error kinds."""

from cxloop.distribution.sms.base import (
    SmsError,
    SmsMessage,
    SmsPermanentError,
    SmsProvider,
    SmsReceipt,
    SmsTransientError,
)

__all__ = [
    "SmsError",
    "SmsMessage",
    "SmsPermanentError",
    "SmsProvider",
    "SmsReceipt",
    "SmsTransientError",
]

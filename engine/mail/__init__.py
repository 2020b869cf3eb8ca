"""Mail: the outbox delivered by SMTP, one mail per person per round.

- :mod:`engine.mail.settings`: ``REVIEWFLOW_SMTP_URL``, ``REVIEWFLOW_MAIL_FROM``,
  ``REVIEWFLOW_BASE_URL``;
- :mod:`engine.mail.compose`: what a mail says (in the recipient's voice);
- :mod:`engine.mail.transport`: the SMTP connection and what its answers mean;
- :mod:`engine.mail.delivery`: a round: group, lock, send, mark, retry with backoff.
"""

from engine.mail.compose import ENGLISH, Composer, Context, Letter, Voice
from engine.mail.delivery import Delivery, DeliveryReport, backoff, deliver
from engine.mail.settings import MailSettings, parse_smtp_url, settings_from_env
from engine.mail.transport import (
    DeliveryFailure,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    Unreachable,
)

__all__ = ["ENGLISH", "Composer", "Context", "Delivery", "DeliveryFailure", "DeliveryReport",
           "Letter", "MailSettings", "PermanentFailure", "SmtpTransport", "TemporaryFailure",
           "Unreachable", "Voice", "backoff", "deliver", "parse_smtp_url",
           "settings_from_env"]

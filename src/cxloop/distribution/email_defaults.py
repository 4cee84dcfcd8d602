"""The built-in e-mail texts, used when an organization has not written its own.

They are in the customer's (survey) language, not the staff's interface language, so they
are plain data like the survey templates rather than gettext messages. Pure: no Django.
"""

from collections.abc import Mapping
from dataclasses import dataclass

INVITATION = "invitation"
REMINDER = "reminder"
EMAIL_KINDS: tuple[str, ...] = (INVITATION, REMINDER)
MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 5000


@dataclass(frozen=True, slots=True)
class EmailText:
    subject: str
    body: str


DEFAULT_EMAIL_TEXTS: Mapping[tuple[str, str], EmailText] = {
    ("zh-Hans", INVITATION): EmailText(
        subject="{organization}邀请您分享体验",
        body=(
            "尊敬的{contact_name}，您好：\n\n"
            "感谢您选择{organization}。诚邀您花一分钟参与“{survey_title}”调研，"
            "告诉我们您的真实感受，帮助我们做得更好。\n\n"
            "{link}\n\n"
            "此链接为您专属，有效期至{expires_on}。\n\n"
            "{organization}"
        ),
    ),
    ("zh-Hans", REMINDER): EmailText(
        subject="温馨提醒：{organization}期待您的反馈",
        body=(
            "尊敬的{contact_name}，您好：\n\n"
            "前几天我们邀请您参与“{survey_title}”调研，目前还没有收到您的反馈。"
            "您的意见对我们非常重要，只需一分钟：\n\n"
            "{link}\n\n"
            "链接有效期至{expires_on}。如您已经填写，请忽略此邮件，谢谢！\n\n"
            "{organization}"
        ),
    ),
    ("zh-Hant", INVITATION): EmailText(
        subject="{organization}邀請您分享體驗",
        body=(
            "親愛的{contact_name}，您好：\n\n"
            "感謝您選擇{organization}。誠邀您花一分鐘填寫「{survey_title}」問卷，"
            "告訴我們您的真實感受，幫助我們做得更好。\n\n"
            "{link}\n\n"
            "此連結為您專屬，有效期限至{expires_on}。\n\n"
            "{organization}"
        ),
    ),
    ("zh-Hant", REMINDER): EmailText(
        subject="溫馨提醒：{organization}期待您的回饋",
        body=(
            "親愛的{contact_name}，您好：\n\n"
            "前幾天我們邀請您填寫「{survey_title}」問卷，目前尚未收到您的回覆。"
            "您的意見對我們非常重要，只需一分鐘：\n\n"
            "{link}\n\n"
            "連結有效期限至{expires_on}。如您已經填寫，請忽略此郵件，謝謝！\n\n"
            "{organization}"
        ),
    ),
    ("en", INVITATION): EmailText(
        subject="How was your experience with {organization}?",
        body=(
            "Dear {contact_name},\n\n"
            "Thank you for choosing {organization}. Would you take a minute to tell us how "
            "it went? Your answers to “{survey_title}” help us get better.\n\n"
            "{link}\n\n"
            "This link is just for you and works until {expires_on}.\n\n"
            "Thank you,\n"
            "{organization}"
        ),
    ),
    ("en", REMINDER): EmailText(
        subject="A quick reminder from {organization}",
        body=(
            "Dear {contact_name},\n\n"
            "A few days ago we asked about your experience with {organization}, and we "
            "haven't heard from you yet. It only takes a minute, and it really helps:\n\n"
            "{link}\n\n"
            "The link works until {expires_on}. If you have already answered, thank you, "
            "and please ignore this message.\n\n"
            "{organization}"
        ),
    ),
}

# Said instead of the name when the contact has none ("Dear customer,", "尊敬的客户，您好").
ANONYMOUS_CONTACT: Mapping[str, str] = {
    "zh-Hans": "客户",
    "zh-Hant": "顧客",
    "en": "customer",
}

# What the template editor's preview shows in place of a real contact and survey.
SAMPLE_CONTACT_NAMES: Mapping[str, str] = {
    "zh-Hans": "李伟",
    "zh-Hant": "陳美玲",
    "en": "Alex Chen",
}
SAMPLE_SURVEY_TITLES: Mapping[str, str] = {
    "zh-Hans": "门店体验调研",
    "zh-Hant": "門市體驗問卷",
    "en": "Store visit survey",
}
SAMPLE_NPS_QUESTION: Mapping[str, str] = {
    "zh-Hans": "您有多大可能向朋友或同事推荐{us}？",
    "zh-Hant": "您有多大可能向朋友或同事推薦{us}？",
    "en": "How likely are you to recommend {us} to a friend or colleague?",
}

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(year: int, month: int, day: int, language: str) -> str:
    """A date as a customer reads it: 2026年5月6日 or May 6, 2026 (locale-independent)."""
    if language.startswith("zh"):
        return f"{year}年{month}月{day}日"
    return f"{_MONTHS[month - 1]} {day}, {year}"

"""Ready-made surveys to start from, worded in every survey language.

The survey texts are content, not UI strings: customers read them in the survey's own
languages whatever language the staff UI is in, so they are written out per language here
instead of going through gettext. Only a template's name and description (shown to staff in
the builder) are translated UI strings.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cxloop.common.languages import SURVEY_LANGUAGES

Texts = Mapping[str, str]

ALL_LANGUAGES: tuple[str, ...] = SURVEY_LANGUAGES

# How a text refers to the organization when no brand name is given: {us} is an object
# ("recommend us"), {company} a subject ("The company made it easy…").
_BRAND_FALLBACKS: Mapping[str, Texts] = {
    "{us}": {"zh-Hans": "我们", "zh-Hant": "我們", "en": "us"},
    "{company}": {"zh-Hans": "贵公司", "zh-Hant": "貴公司", "en": "The company"},
}


def _fill_brand(text: str, language: str, brand: str | None) -> str:
    for placeholder, fallbacks in _BRAND_FALLBACKS.items():
        if placeholder in text:
            # replace(), not format(): a brand name may contain braces.
            text = text.replace(placeholder, brand.strip() if brand else fallbacks[language])
    return text


def _localize(value: Any, languages: Sequence[str], brand: str | None) -> Any:
    """Keep only the requested languages of every texts-by-language mapping in `value`."""
    if isinstance(value, Mapping):
        if value and set(value) <= set(ALL_LANGUAGES):
            return {lang: _fill_brand(value[lang], lang, brand) for lang in languages}
        return {key: _localize(item, languages, brand) for key, item in value.items()}
    if isinstance(value, list):
        return [_localize(item, languages, brand) for item in value]
    return value


NPS_END_LABELS: Mapping[str, Texts] = {
    "low": {"zh-Hans": "完全不可能", "zh-Hant": "完全不可能", "en": "Not at all likely"},
    "high": {"zh-Hans": "非常可能", "zh-Hant": "非常可能", "en": "Extremely likely"},
}

CSAT_5_LABELS: Mapping[str, Texts] = {
    "1": {"zh-Hans": "非常不满意", "zh-Hant": "非常不滿意", "en": "Very dissatisfied"},
    "2": {"zh-Hans": "不满意", "zh-Hant": "不滿意", "en": "Dissatisfied"},
    "3": {"zh-Hans": "一般", "zh-Hant": "普通", "en": "Neutral"},
    "4": {"zh-Hans": "满意", "zh-Hant": "滿意", "en": "Satisfied"},
    "5": {"zh-Hans": "非常满意", "zh-Hant": "非常滿意", "en": "Very satisfied"},
}

AGREEMENT_END_LABELS: Mapping[str, Texts] = {
    "low": {"zh-Hans": "非常不同意", "zh-Hant": "非常不同意", "en": "Strongly disagree"},
    "high": {"zh-Hans": "非常同意", "zh-Hant": "非常同意", "en": "Strongly agree"},
}

RETAIL_REASONS: tuple[tuple[str, Texts], ...] = (
    ("price", {"zh-Hans": "价格", "zh-Hant": "價格", "en": "Price"}),
    ("staff_service", {"zh-Hans": "店员服务", "zh-Hant": "店員服務", "en": "Staff service"}),
    ("wait_time", {"zh-Hans": "等候时间", "zh-Hant": "等候時間", "en": "Waiting time"}),
    ("product_quality", {"zh-Hans": "商品质量", "zh-Hant": "商品品質", "en": "Product quality"}),
    (
        "store_environment",
        {"zh-Hans": "门店环境", "zh-Hant": "門市環境", "en": "Store environment"},
    ),
    (
        "product_availability",
        {"zh-Hans": "商品是否有货", "zh-Hant": "商品是否有現貨", "en": "Product availability"},
    ),
    ("checkout", {"zh-Hans": "结账体验", "zh-Hant": "結帳體驗", "en": "Checkout"}),
    ("after_sales", {"zh-Hans": "售后服务", "zh-Hant": "售後服務", "en": "After-sales service"}),
)


def _nps_question(text: Texts) -> dict[str, Any]:
    return {"key": "nps", "type": "nps", "text": dict(text), "labels": dict(NPS_END_LABELS)}


RELATIONSHIP_NPS: dict[str, Any] = {
    "kind": "relationship",
    "touchpoint": {},
    "title": {
        "zh-Hans": "您的意见对我们很重要",
        "zh-Hant": "您的意見對我們很重要",
        "en": "We value your opinion",
    },
    "intro": {
        "zh-Hans": "只需一分钟，请告诉我们您的真实感受。",
        "zh-Hant": "只需要一分鐘，請告訴我們您真實的感受。",
        "en": "It only takes a minute. Please tell us how you really feel.",
    },
    "thank_you": {
        "zh-Hans": "感谢您的反馈！我们会认真阅读每一条意见。",
        "zh-Hant": "感謝您的回饋！我們會仔細閱讀每一則意見。",
        "en": "Thank you for your feedback! We read every response.",
    },
    "questions": [
        _nps_question(
            {
                "zh-Hans": "您有多大可能向朋友或同事推荐{us}？",
                "zh-Hant": "您有多大可能向朋友或同事推薦{us}？",
                "en": "How likely are you to recommend {us} to a friend or colleague?",
            }
        ),
        {
            "key": "reason",
            "type": "text",
            "required": False,
            "text": {
                "zh-Hans": "您给出这个分数的主要原因是什么？",
                "zh-Hant": "您給這個分數的主要原因是什麼？",
                "en": "What is the main reason for your score?",
            },
        },
        {
            "key": "tenure",
            "type": "single_choice",
            "required": False,
            "text": {
                "zh-Hans": "您成为我们的客户有多久了？",
                "zh-Hant": "您成為我們的客戶多久了？",
                "en": "How long have you been our customer?",
            },
            "choices": [
                {
                    "key": "under_6_months",
                    "text": {
                        "zh-Hans": "不到半年",
                        "zh-Hant": "未滿半年",
                        "en": "Less than 6 months",
                    },
                },
                {
                    "key": "months_6_12",
                    "text": {"zh-Hans": "半年到一年", "zh-Hant": "半年至一年", "en": "6–12 months"},
                },
                {
                    "key": "years_1_3",
                    "text": {"zh-Hans": "1–3 年", "zh-Hant": "1–3 年", "en": "1–3 years"},
                },
                {
                    "key": "over_3_years",
                    "text": {
                        "zh-Hans": "3 年以上",
                        "zh-Hant": "3 年以上",
                        "en": "More than 3 years",
                    },
                },
            ],
        },
    ],
}

TRANSACTIONAL_NPS_PLUS: dict[str, Any] = {
    "kind": "transactional",
    "touchpoint": {"zh-Hans": "门店购物", "zh-Hant": "門市購物", "en": "In-store purchase"},
    "title": {
        "zh-Hans": "本次购物体验如何？",
        "zh-Hant": "這次的購物體驗如何？",
        "en": "How was your visit?",
    },
    "intro": {
        "zh-Hans": "感谢您的光临！请花一分钟告诉我们本次购物的感受。",
        "zh-Hant": "感謝您的光臨！請花一分鐘告訴我們這次購物的感受。",
        "en": "Thank you for shopping with us! Please take a minute to tell us about your visit.",
    },
    "thank_you": {
        "zh-Hans": "感谢您的宝贵意见，期待您再次光临！",
        "zh-Hant": "感謝您寶貴的意見，期待您再次光臨！",
        "en": "Thank you for your feedback. We look forward to seeing you again!",
    },
    "questions": [
        {
            "key": "nps",
            "type": "nps_plus",
            "text": {
                "zh-Hans": "根据本次购物体验，您有多大可能向朋友或同事推荐{us}？",
                "zh-Hant": "根據這次的購物體驗，您有多大可能向朋友或同事推薦{us}？",
                "en": "Based on this visit, how likely are you to recommend {us} "
                "to a friend or colleague?",
            },
            "labels": dict(NPS_END_LABELS),
            "reasons": [{"key": key, "text": dict(text)} for key, text in RETAIL_REASONS],
            "reason_prompt": {
                "promoter": {
                    "zh-Hans": "您最满意的是哪些方面？（可多选）",
                    "zh-Hant": "您最滿意的是哪些方面？（可複選）",
                    "en": "What did you like most? (Choose all that apply)",
                },
                "passive": {
                    "zh-Hans": "哪些方面我们还可以做得更好？（可多选）",
                    "zh-Hant": "哪些方面我們還可以做得更好？（可複選）",
                    "en": "What could we have done better? (Choose all that apply)",
                },
                "detractor": {
                    "zh-Hans": "哪些方面让您失望？（可多选）",
                    "zh-Hant": "哪些方面讓您失望？（可複選）",
                    "en": "What disappointed you? (Choose all that apply)",
                },
            },
            "comment_prompt": {
                "promoter": {
                    "zh-Hans": "欢迎告诉我们更多让您满意的细节。",
                    "zh-Hant": "歡迎告訴我們更多讓您滿意的細節。",
                    "en": "Tell us more about what made your visit great.",
                },
                "passive": {
                    "zh-Hans": "我们怎样做才能让您打 10 分？",
                    "zh-Hant": "我們要怎麼做，您才會給 10 分？",
                    "en": "What would it take for us to earn a 10?",
                },
                "detractor": {
                    "zh-Hans": "很抱歉让您失望了。请告诉我们发生了什么，以便我们改进。",
                    "zh-Hant": "很抱歉讓您失望了。請告訴我們發生了什麼事，讓我們能夠改進。",
                    "en": "We're sorry we let you down. What happened, and how can we improve?",
                },
            },
        }
    ],
}

CSAT_SUPPORT: dict[str, Any] = {
    "kind": "realtime",
    "touchpoint": {"zh-Hans": "售后服务", "zh-Hant": "售後服務", "en": "Customer support"},
    "title": {
        "zh-Hans": "请为本次服务评分",
        "zh-Hant": "請為這次服務評分",
        "en": "Rate your support experience",
    },
    "intro": {
        "zh-Hans": "您的问题刚刚处理完毕，请告诉我们您对本次服务的感受。",
        "zh-Hant": "您的問題剛處理完畢，請告訴我們您對這次服務的感受。",
        "en": "Your request was just handled. Please let us know how it went.",
    },
    "thank_you": {
        "zh-Hans": "感谢您的评价，我们会持续改进服务。",
        "zh-Hant": "感謝您的評價，我們會持續改善服務。",
        "en": "Thank you for your rating. It helps us keep improving.",
    },
    "questions": [
        {
            "key": "csat",
            "type": "csat",
            "scale": 5,
            "text": {
                "zh-Hans": "您对本次售后服务的整体满意度如何？",
                "zh-Hant": "您對這次售後服務的整體滿意度如何？",
                "en": "Overall, how satisfied are you with the support you received?",
            },
            "labels": dict(CSAT_5_LABELS),
        },
        {
            "key": "comment",
            "type": "text",
            "required": False,
            "text": {
                "zh-Hans": "有什么建议可以帮助我们改进服务吗？",
                "zh-Hant": "有什麼建議能幫助我們改善服務嗎？",
                "en": "Is there anything we could have done better?",
            },
        },
    ],
}

CES_SERVICE: dict[str, Any] = {
    "kind": "transactional",
    "touchpoint": {"zh-Hans": "服务办理", "zh-Hant": "服務辦理", "en": "Service"},
    "title": {
        "zh-Hans": "本次办理是否顺利？",
        "zh-Hant": "這次辦理是否順利？",
        "en": "Was it easy?",
    },
    "intro": {
        "zh-Hans": "请根据您刚刚的经历回答以下问题。",
        "zh-Hant": "請根據您剛才的經驗回答以下問題。",
        "en": "Please answer based on the experience you just had.",
    },
    "thank_you": {
        "zh-Hans": "感谢您的反馈！",
        "zh-Hant": "感謝您的回饋！",
        "en": "Thank you for your feedback!",
    },
    "questions": [
        {
            "key": "ces",
            "type": "ces",
            "scale": 7,
            "text": {
                "zh-Hans": "{company}让我能够轻松地处理我的问题。",
                "zh-Hant": "{company}讓我能夠輕鬆地處理我的問題。",
                "en": "{company} made it easy for me to handle my issue.",
            },
            "labels": {
                "1": dict(AGREEMENT_END_LABELS["low"]),
                "7": dict(AGREEMENT_END_LABELS["high"]),
            },
        },
        {
            "key": "comment",
            "type": "text",
            "required": False,
            "text": {
                "zh-Hans": "在办理过程中，哪些环节让您觉得费力？",
                "zh-Hant": "在辦理過程中，有哪些環節讓您覺得麻煩？",
                "en": "What, if anything, made it harder than it should have been?",
            },
        },
    ],
}


@dataclass(frozen=True)
class SurveyTemplate:
    key: str
    name: Promise
    description: Promise
    # The default survey name per language, and the definition with texts in every language.
    survey_names: Texts = field(default_factory=dict, repr=False)
    content: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def definition(
        self,
        *,
        languages: Sequence[str] = ALL_LANGUAGES,
        name: str | None = None,
        default_language: str | None = None,
        brand: str | None = None,
    ) -> dict[str, Any]:
        """A definition for `parse_survey_definition` with texts in `languages` only.

        The touchpoint and the default name are taken in the default language (the first of
        `languages` unless given). `brand` replaces "us"/"the company" in the questions.
        """
        if not languages or set(languages) - set(ALL_LANGUAGES):
            raise ValueError(f"Survey languages must be among {ALL_LANGUAGES}, got {languages}")
        ordered = list(dict.fromkeys(languages))
        default = default_language or ordered[0]
        if default not in ordered:
            raise ValueError(f"The default language {default} is not among {languages}")
        touchpoints: Texts = self.content.get("touchpoint") or {}
        definition: dict[str, Any] = {
            "name": name if name else self.survey_names[default],
            "kind": self.content["kind"],
            "touchpoint": touchpoints.get(default, ""),
            "languages": ordered,
            "default_language": default,
        }
        for part in ("title", "intro", "thank_you", "questions"):
            definition[part] = _localize(self.content[part], ordered, brand)
        return definition


SURVEY_TEMPLATES: Mapping[str, SurveyTemplate] = {
    template.key: template
    for template in (
        SurveyTemplate(
            key="relationship_nps",
            name=_("Relationship NPS"),
            description=_(
                "Ask customers every few months how likely they are to recommend you, "
                "why, and how long they have been customers."
            ),
            survey_names={
                "zh-Hans": "客户关系 NPS 调研",
                "zh-Hant": "客戶關係 NPS 調查",
                "en": "Relationship NPS survey",
            },
            content=RELATIONSHIP_NPS,
        ),
        SurveyTemplate(
            key="transactional_nps_plus",
            name=_("Transactional NPS+ (in-store purchase)"),
            description=_(
                "Right after a store visit: the NPS score, a checklist of reasons and an open "
                "question worded for promoters, passives and detractors."
            ),
            survey_names={
                "zh-Hans": "门店购物 NPS+ 调研",
                "zh-Hant": "門市購物 NPS+ 調查",
                "en": "In-store purchase NPS+ survey",
            },
            content=TRANSACTIONAL_NPS_PLUS,
        ),
        SurveyTemplate(
            key="csat_support",
            name=_("CSAT after support"),
            description=_(
                "Sent when a support request is resolved: satisfaction on a 1–5 scale and an "
                "optional comment."
            ),
            survey_names={
                "zh-Hans": "售后服务满意度调研",
                "zh-Hant": "售後服務滿意度調查",
                "en": "Customer support satisfaction survey",
            },
            content=CSAT_SUPPORT,
        ),
        SurveyTemplate(
            key="ces_service",
            name=_("CES after service"),
            description=_(
                "Measure customer effort after a service: agreement on a 1–7 scale that it "
                "was easy, and what made it hard."
            ),
            survey_names={
                "zh-Hans": "服务办理费力度调研",
                "zh-Hant": "服務辦理費力度調查",
                "en": "Service effort survey",
            },
            content=CES_SERVICE,
        ),
    )
}

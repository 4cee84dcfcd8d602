"""What the demo organization is made of: stores, products, channels and the comment bank.

This is content, not UI: store names and comments are what customers of a coffee chain would
write, in the language they answered in, so they are written out per language here instead of
going through gettext. The numbers (quality offsets, trends, traffic) are chosen so that the
dashboards tell a story: one excellent store, one poor one, one recovering and one sliding,
and a chain that gets better over the year.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

Texts = Mapping[str, str]

DEMO_LANGUAGES: tuple[str, ...] = ("zh-Hans", "zh-Hant", "en")

# Tones a comment can have; NPS categories and CSAT/CES scores map onto them.
POSITIVE = "positive"
MIXED = "mixed"
NEGATIVE = "negative"
TONES: tuple[str, ...] = (POSITIVE, MIXED, NEGATIVE)

# Comment banks by context: what the customer is commenting on.
RETAIL = "retail"  # a store visit or the brand (NPS surveys)
SUPPORT = "support"  # a support request (CSAT)
SERVICE = "service"  # a self-service task (CES)
GENERAL = "general"  # a comment on no particular reason


@dataclass(frozen=True, slots=True)
class Store:
    name: str  # the attribute value, as head office writes it
    names: Texts  # how customers write it, per language
    city: str
    region: str
    quality: float  # NPS points above (or below) the chain's average
    traffic: float = 1.0  # relative number of responses
    trend: float = 0.0  # NPS points the store gains (or loses) over the year
    languages: Mapping[str, float] = field(default_factory=dict)  # language → share
    weak_points: tuple[str, ...] = ()  # reasons its unhappy customers tick more often
    strong_points: tuple[str, ...] = ()  # reasons its happy customers tick more often


def _mainland(english: float) -> dict[str, float]:
    return {"zh-Hans": 1 - english, "en": english}


def _names(hans: str, hant: str, en: str) -> dict[str, str]:
    return {"zh-Hans": hans, "zh-Hant": hant, "en": en}


STORES: tuple[Store, ...] = (
    # 华东
    Store(
        "上海南京西路店",
        _names("上海南京西路店", "上海南京西路店", "Shanghai West Nanjing Road"),
        "上海",
        "华东",
        quality=12,
        traffic=1.5,
        languages=_mainland(0.15),
    ),
    Store(
        "上海徐家汇店",
        _names("上海徐家汇店", "上海徐家匯店", "Shanghai Xujiahui"),
        "上海",
        "华东",
        quality=3,
        traffic=1.3,
        languages=_mainland(0.12),
    ),
    Store(
        "上海陆家嘴店",
        _names("上海陆家嘴店", "上海陸家嘴店", "Shanghai Lujiazui"),
        "上海",
        "华东",
        quality=-6,
        traffic=1.4,
        languages=_mainland(0.18),
        weak_points=("wait_time",),
    ),
    Store(
        "杭州西湖店",
        _names("杭州西湖店", "杭州西湖店", "Hangzhou West Lake"),
        "杭州",
        "华东",
        quality=15,
        traffic=1.1,
        languages=_mainland(0.10),
        strong_points=("store_environment",),
    ),
    Store(
        "南京新街口店",
        _names("南京新街口店", "南京新街口店", "Nanjing Xinjiekou"),
        "南京",
        "华东",
        quality=2,
        languages=_mainland(0.05),
    ),
    Store(
        "苏州观前街店",
        _names("苏州观前街店", "蘇州觀前街店", "Suzhou Guanqian Street"),
        "苏州",
        "华东",
        quality=6,
        traffic=0.8,
        languages=_mainland(0.05),
    ),
    # 华北
    Store(
        "北京三里屯店",
        _names("北京三里屯店", "北京三里屯店", "Beijing Sanlitun"),
        "北京",
        "华北",
        quality=8,
        traffic=1.4,
        languages=_mainland(0.18),
    ),
    Store(
        "北京国贸店",
        _names("北京国贸店", "北京國貿店", "Beijing Guomao"),
        "北京",
        "华北",
        quality=-2,
        traffic=1.4,
        trend=-14,
        languages=_mainland(0.15),
        weak_points=("wait_time", "checkout"),
    ),
    Store(
        "北京中关村店",
        _names("北京中关村店", "北京中關村店", "Beijing Zhongguancun"),
        "北京",
        "华北",
        quality=0,
        traffic=1.1,
        languages=_mainland(0.08),
    ),
    Store(
        "天津滨江道店",
        _names("天津滨江道店", "天津濱江道店", "Tianjin Binjiang Road"),
        "天津",
        "华北",
        quality=-32,
        languages=_mainland(0.04),
        weak_points=("staff_service", "store_environment", "product_availability"),
    ),
    # 华中
    Store(
        "武汉江汉路店",
        _names("武汉江汉路店", "武漢江漢路店", "Wuhan Jianghan Road"),
        "武汉",
        "华中",
        quality=-8,
        traffic=0.9,
        languages=_mainland(0.04),
        weak_points=("product_availability",),
    ),
    Store(
        "长沙五一广场店",
        _names("长沙五一广场店", "長沙五一廣場店", "Changsha Wuyi Square"),
        "长沙",
        "华中",
        quality=5,
        traffic=0.9,
        languages=_mainland(0.04),
    ),
    # 华南
    Store(
        "广州天河店",
        _names("广州天河店", "廣州天河店", "Guangzhou Tianhe"),
        "广州",
        "华南",
        quality=4,
        traffic=1.2,
        languages=_mainland(0.08),
    ),
    Store(
        "广州北京路店",
        _names("广州北京路店", "廣州北京路店", "Guangzhou Beijing Road"),
        "广州",
        "华南",
        quality=-3,
        traffic=0.9,
        languages=_mainland(0.06),
    ),
    Store(
        "深圳万象城店",
        _names("深圳万象城店", "深圳萬象城店", "Shenzhen MixC"),
        "深圳",
        "华南",
        quality=30,
        traffic=1.2,
        languages=_mainland(0.10),
        strong_points=("staff_service", "product_quality"),
    ),
    Store(
        "深圳南山店",
        _names("深圳南山店", "深圳南山店", "Shenzhen Nanshan"),
        "深圳",
        "华南",
        quality=6,
        languages=_mainland(0.10),
    ),
    # 西南
    Store(
        "成都春熙路店",
        _names("成都春熙路店", "成都春熙路店", "Chengdu Chunxi Road"),
        "成都",
        "西南",
        quality=2,
        traffic=1.1,
        languages=_mainland(0.05),
    ),
    Store(
        "成都太古里店",
        _names("成都太古里店", "成都太古里店", "Chengdu Taikoo Li"),
        "成都",
        "西南",
        quality=10,
        languages=_mainland(0.08),
    ),
    Store(
        "重庆解放碑店",
        _names("重庆解放碑店", "重慶解放碑店", "Chongqing Jiefangbei"),
        "重庆",
        "西南",
        quality=-12,
        trend=24,
        languages=_mainland(0.04),
        weak_points=("wait_time",),
    ),
    # 港台: customers answer mostly in traditional Chinese
    Store(
        "香港铜锣湾店",
        _names("香港铜锣湾店", "香港銅鑼灣店", "Hong Kong Causeway Bay"),
        "香港",
        "港台",
        quality=4,
        traffic=0.9,
        languages={"zh-Hant": 0.72, "en": 0.26, "zh-Hans": 0.02},
    ),
    Store(
        "香港尖沙咀店",
        _names("香港尖沙咀店", "香港尖沙咀店", "Hong Kong Tsim Sha Tsui"),
        "香港",
        "港台",
        quality=-2,
        traffic=0.8,
        languages={"zh-Hant": 0.70, "en": 0.27, "zh-Hans": 0.03},
        weak_points=("price",),
    ),
    Store(
        "台北信义店",
        _names("台北信义店", "台北信義店", "Taipei Xinyi"),
        "台北",
        "港台",
        quality=9,
        traffic=0.9,
        languages={"zh-Hant": 0.91, "en": 0.07, "zh-Hans": 0.02},
    ),
)


@dataclass(frozen=True, slots=True)
class Product:
    name: str  # the attribute value
    names: Texts  # as customers write it, per language
    quality: float = 0.0  # NPS points above (or below) average
    consumable: bool = True  # something one drinks or eats (comments about taste fit it)


PRODUCTS: Mapping[str, Product] = {
    product.name: product
    for product in (
        Product("手冲咖啡", _names("手冲咖啡", "手沖咖啡", "pour-over"), quality=4),
        Product("拿铁", _names("拿铁", "拿鐵", "latte")),
        Product("茶饮", _names("茶饮", "茶飲", "tea drink"), quality=-3),
        Product("烘焙", _names("烘焙", "烘焙", "pastry"), quality=3),
        Product("咖啡豆", _names("咖啡豆", "咖啡豆", "coffee bean blend"), quality=6),
        Product("季节限定", _names("季节限定", "季節限定", "seasonal special"), quality=2),
        Product("外卖", _names("外卖", "外送", "delivery order"), quality=-10, consumable=False),
        Product("会员卡", _names("会员卡", "會員卡", "membership card"), consumable=False),
        Product("礼品卡", _names("礼品卡", "禮品卡", "gift card"), consumable=False),
    )
}
CONSUMABLES: tuple[str, ...] = tuple(name for name, p in PRODUCTS.items() if p.consumable)

CHANNELS: tuple[str, ...] = ("sms", "email", "qr", "web", "app", "wechat")
RETAIL_STORES = "零售门店"
ONLINE = "电商"
MEMBER_SERVICES = "会员服务"
BUSINESS_UNITS: tuple[str, ...] = (RETAIL_STORES, ONLINE, MEMBER_SERVICES)


@dataclass(frozen=True, slots=True)
class Segment:
    """A business unit as one survey sees it: which products and touchpoints come up."""

    business_unit: str
    share: float
    products: Mapping[str, float]  # product → weight
    touchpoints: Mapping[str, float] = field(default_factory=dict)  # empty: no attribute


@dataclass(frozen=True, slots=True)
class SurveyPlan:
    """How many responses one survey gets and how good they are over the year."""

    template: str  # key in cxloop.surveys.survey_templates.SURVEY_TEMPLATES
    context: str  # which comment bank its comments come from
    daily: float  # average responses per day, before seasonality and growth
    weekday_factors: tuple[float, ...]  # Monday..Sunday
    hours: Mapping[int, float]  # local hour → weight
    channels: Mapping[str, float]
    segments: tuple[Segment, ...]
    quality_start: float  # the chain's NPS-like quality a year ago…
    quality_end: float  # …and today
    store_weight: float = 1.0  # how much the store's own quality shows in this survey
    weekend_quality: float = 0.0  # crowded weekends cost stores a few points
    # Relationship surveys go out in waves: (day of the year the wave is sent, responses).
    waves: tuple[tuple[int, int], ...] = ()


STORE_HOURS: Mapping[int, float] = {
    7: 3, 8: 8, 9: 8, 10: 6, 11: 6, 12: 8, 13: 8, 14: 6, 15: 7, 16: 6, 17: 6, 18: 6, 19: 5,
    20: 4, 21: 2,
}  # fmt: skip
SUPPORT_HOURS: Mapping[int, float] = {
    9: 6, 10: 8, 11: 8, 12: 6, 13: 6, 14: 8, 15: 8, 16: 8, 17: 7, 18: 5, 19: 5, 20: 5, 21: 4,
}  # fmt: skip
EVENING_HOURS: Mapping[int, float] = {
    8: 3, 9: 4, 10: 4, 11: 4, 12: 7, 13: 6, 14: 3, 15: 3, 16: 3, 17: 4, 18: 6, 19: 8, 20: 9,
    21: 9, 22: 7, 23: 3,
}  # fmt: skip

# Stores are busiest at weekends; support and member services on weekdays.
STORE_WEEK: tuple[float, ...] = (0.85, 0.85, 0.9, 0.9, 1.05, 1.35, 1.3)
OFFICE_WEEK: tuple[float, ...] = (1.15, 1.1, 1.05, 1.05, 1.0, 0.8, 0.75)
FLAT_WEEK: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05)

SURVEY_PLANS: tuple[SurveyPlan, ...] = (
    SurveyPlan(
        template="relationship_nps",
        context=RETAIL,
        daily=0.8,
        weekday_factors=FLAT_WEEK,
        hours=EVENING_HOURS,
        channels={"email": 35, "sms": 30, "app": 20, "wechat": 15},
        segments=(
            Segment(MEMBER_SERVICES, 0.5, {"会员卡": 8, "礼品卡": 2}),
            Segment(RETAIL_STORES, 0.35, {"拿铁": 4, "手冲咖啡": 3, "烘焙": 2, "茶饮": 2}),
            Segment(ONLINE, 0.15, {"外卖": 6, "咖啡豆": 4}),
        ),
        quality_start=18,
        quality_end=32,
        store_weight=0.7,
        waves=((12, 230), (103, 240), (194, 250), (285, 260)),
    ),
    SurveyPlan(
        template="transactional_nps_plus",
        context=RETAIL,
        daily=10.0,
        weekday_factors=STORE_WEEK,
        hours=STORE_HOURS,
        channels={"qr": 35, "wechat": 30, "sms": 20, "app": 15},
        segments=(
            Segment(
                RETAIL_STORES,
                1.0,
                {"拿铁": 8, "手冲咖啡": 5, "茶饮": 4, "烘焙": 4, "季节限定": 3, "咖啡豆": 2},
            ),
        ),
        quality_start=13,
        quality_end=33,
        weekend_quality=-4,
    ),
    SurveyPlan(
        template="csat_support",
        context=SUPPORT,
        daily=3.4,
        weekday_factors=OFFICE_WEEK,
        hours=SUPPORT_HOURS,
        channels={"web": 25, "app": 30, "wechat": 30, "email": 15},
        segments=(
            Segment(ONLINE, 0.55, {"外卖": 6, "咖啡豆": 3}, {"在线客服": 6, "客服热线": 4}),
            Segment(
                MEMBER_SERVICES, 0.3, {"会员卡": 7, "礼品卡": 3}, {"在线客服": 5, "客服热线": 5}
            ),
            Segment(RETAIL_STORES, 0.15, {"拿铁": 3, "烘焙": 2, "咖啡豆": 2}, {"门店售后": 1}),
        ),
        quality_start=18,
        quality_end=36,
        store_weight=0.3,
    ),
    SurveyPlan(
        template="ces_service",
        context=SERVICE,
        daily=2.4,
        weekday_factors=OFFICE_WEEK,
        hours=EVENING_HOURS,
        channels={"app": 35, "wechat": 35, "sms": 15, "web": 15},
        segments=(
            Segment(
                MEMBER_SERVICES,
                0.6,
                {"会员卡": 8, "礼品卡": 2},
                {"会员注册": 4, "积分兑换": 4, "发票开具": 2},
            ),
            Segment(ONLINE, 0.25, {"外卖": 5, "咖啡豆": 5}, {"退款办理": 5, "发票开具": 3}),
            Segment(RETAIL_STORES, 0.15, {"咖啡豆": 2, "烘焙": 1}, {"退款办理": 1}),
        ),
        quality_start=12,
        quality_end=34,
        store_weight=0.4,
    ),
)


@dataclass(frozen=True, slots=True)
class Incident:
    """A few bad weeks for one product: a dip the dashboards should show."""

    product: str
    starts_days_ago: int
    days: int
    quality: float


# A delivery partner's outage: late and cold orders, and a support backlog.
INCIDENTS: tuple[Incident, ...] = (
    Incident(product="外卖", starts_days_ago=150, days=28, quality=-40),
)

# NPS+ reasons: how often each is ticked, by tone. Keys missing from a survey are ignored,
# and reasons the survey has but this table lacks get weight 1.
REASON_WEIGHTS: Mapping[str, Mapping[str, float]] = {
    POSITIVE: {
        "product_quality": 5, "staff_service": 4, "store_environment": 3, "wait_time": 2,
        "checkout": 1.5, "price": 1, "product_availability": 1, "after_sales": 0.5,
    },
    MIXED: {
        "price": 4, "wait_time": 3.5, "product_availability": 2.5, "product_quality": 2,
        "staff_service": 2, "store_environment": 2, "checkout": 1, "after_sales": 0.6,
    },
    NEGATIVE: {
        "wait_time": 5, "staff_service": 4, "product_quality": 3, "price": 2.5,
        "product_availability": 2.5, "store_environment": 2, "checkout": 1.5, "after_sales": 1.2,
    },
}  # fmt: skip

# Share of responses with a comment, by tone: unhappy customers write more.
COMMENT_RATES: Mapping[str, float] = {POSITIVE: 0.30, MIXED: 0.32, NEGATIVE: 0.52}

# Long-standing customers are more loyal: choice weights for a "how long" question by tone.
TENURE_WEIGHTS: Mapping[str, Mapping[str, float]] = {
    POSITIVE: {"under_6_months": 1, "months_6_12": 1.5, "years_1_3": 4, "over_3_years": 3.5},
    MIXED: {"under_6_months": 2, "months_6_12": 2.5, "years_1_3": 3.5, "over_3_years": 2},
    NEGATIVE: {"under_6_months": 3.5, "months_6_12": 2.5, "years_1_3": 2.5, "over_3_years": 1.5},
}


@dataclass(frozen=True, slots=True)
class CommentTemplate:
    theme: str  # an NPS+ reason key, or GENERAL
    texts: Texts  # per language; may contain {store} and {product}


def _c(theme: str, hans: str, hant: str, en: str) -> CommentTemplate:
    return CommentTemplate(theme, {"zh-Hans": hans, "zh-Hant": hant, "en": en})


_RETAIL_POSITIVE: tuple[CommentTemplate, ...] = (
    _c(
        GENERAL,
        "整体体验很好，{store}是我最常去的一家，会推荐给朋友。",
        "整體體驗很好，{store}是我最常去的一家，會推薦給朋友。",
        "Great experience overall. {store} is my go-to place and I recommend it to friends.",
    ),
    _c(
        GENERAL,
        "每次来都很舒服，{product}一如既往地稳定。",
        "每次來都很舒服，{product}一如既往地穩定。",
        "Always a pleasant visit, and the {product} is as consistent as ever.",
    ),
    _c(
        GENERAL,
        "非常满意，已经推荐给同事了。",
        "非常滿意，已經推薦給同事了。",
        "Very happy, I've already recommended you to my colleagues.",
    ),
    _c(
        GENERAL,
        "服务、环境、出品都在线，没什么可挑剔的。",
        "服務、環境、出品都很到位，沒什麼好挑剔的。",
        "Service, atmosphere and drinks are all spot on. Nothing to complain about.",
    ),
    _c(
        GENERAL,
        "这是我在这个城市最喜欢的咖啡店。",
        "這是我在這個城市最喜歡的咖啡店。",
        "This is my favourite coffee shop in the city.",
    ),
    _c(
        GENERAL,
        "今天的{product}特别好，心情都变好了。",
        "今天的{product}特別好，心情都變好了。",
        "The {product} today was excellent. Made my day.",
    ),
    _c(
        GENERAL,
        "会员活动很实在，体验超出预期。",
        "會員活動很實在，體驗超出預期。",
        "The member offers are genuinely good; the visit beat my expectations.",
    ),
    _c(
        GENERAL,
        "朋友推荐来的，果然没让我失望。",
        "朋友推薦來的，果然沒讓我失望。",
        "A friend recommended it and it didn't disappoint.",
    ),
    _c(
        GENERAL,
        "一直很稳定，这就是我愿意推荐的原因。",
        "一直都很穩定，這就是我願意推薦的原因。",
        "Consistently good; that's why I recommend you.",
    ),
    _c(
        GENERAL,
        "下次还会带家人一起来{store}。",
        "下次還會帶家人一起來{store}。",
        "I'll bring my family to {store} next time.",
    ),
    _c(
        GENERAL,
        "从点单到取餐都很顺畅，体验一流。",
        "從點餐到取餐都很順暢，體驗一流。",
        "Smooth from ordering to pick-up. First-class experience.",
    ),
    _c(
        GENERAL,
        "喜欢这里的氛围，也喜欢你们的{product}。",
        "喜歡這裡的氛圍，也喜歡你們的{product}。",
        "I love the vibe here, and your {product} too.",
    ),
    _c(
        "price",
        "价格很合理，会员价更划算。",
        "價格很合理，會員價更划算。",
        "Fair prices, and the member price is even better value.",
    ),
    _c(
        "price",
        "这个品质这个价格，性价比很高。",
        "以這個品質來說，這個價格很划算。",
        "Great value for this quality.",
    ),
    _c(
        "price",
        "第二杯半价的活动太贴心了，经常和同事一起来。",
        "第二杯半價的活動太貼心了，常常和同事一起來。",
        "The half-price second cup deal is great; I come with colleagues all the time.",
    ),
    _c(
        "staff_service",
        "店员特别热情，还记得我的口味。",
        "店員特別熱情，還記得我的口味。",
        "The staff are so friendly and remember how I like my coffee.",
    ),
    _c(
        "staff_service",
        "{store}的店员很专业，给我推荐的{product}很合口味。",
        "{store}的店員很專業，推薦給我的{product}很合口味。",
        "The staff at {store} really know their stuff; the {product} they suggested was perfect.",
    ),
    _c(
        "staff_service",
        "服务态度非常好，小细节都照顾到了。",
        "服務態度非常好，連小細節都照顧到了。",
        "Wonderful service; they took care of every little detail.",
    ),
    _c(
        "staff_service",
        "咖啡师很耐心地给我讲解豆子的风味，很加分。",
        "咖啡師很有耐心地跟我介紹豆子的風味，很加分。",
        "The barista patiently explained the flavour notes of the beans. Big plus.",
    ),
    _c(
        "wait_time",
        "人虽然多，但出餐很快，没等几分钟。",
        "人雖然多，但出餐很快，沒等幾分鐘。",
        "Busy, but the drinks came out fast. Barely waited.",
    ),
    _c(
        "wait_time",
        "用小程序提前下单，到店直接取，太方便了。",
        "用小程式提前下單，到店直接取，太方便了。",
        "Ordered ahead in the mini-program and just picked it up. So convenient.",
    ),
    _c(
        "wait_time",
        "高峰期也很有序，效率很高。",
        "尖峰時段也很有秩序，效率很高。",
        "Even at rush hour everything was orderly and efficient.",
    ),
    _c(
        "product_quality",
        "{product}品质很稳定，每次都是熟悉的好味道。",
        "{product}品質很穩定，每次都是熟悉的好味道。",
        "The {product} is reliably good, the same great taste every time.",
    ),
    _c(
        "product_quality",
        "咖啡香气很足，豆子很新鲜。",
        "咖啡香氣很足，豆子很新鮮。",
        "Rich aroma, and the beans are clearly fresh.",
    ),
    _c(
        "product_quality",
        "新出的{product}很惊艳，已经连续买了一周。",
        "新推出的{product}很驚艷，已經連續買了一個星期。",
        "The new {product} is amazing, I've had it every day for a week.",
    ),
    _c(
        "product_quality",
        "烘焙都是当天现做的，口感很好。",
        "烘焙都是當天現做的，口感很好。",
        "The pastries are baked the same day and taste great.",
    ),
    _c(
        "store_environment",
        "环境干净明亮，很适合坐下来工作。",
        "環境乾淨明亮，很適合坐下來工作。",
        "Clean, bright and a great place to sit and work.",
    ),
    _c(
        "store_environment",
        "{store}装修很有设计感，座位也舒服。",
        "{store}裝潢很有設計感，座位也舒服。",
        "{store} is beautifully designed and the seats are comfortable.",
    ),
    _c(
        "store_environment",
        "音乐和灯光都很舒服，适合和朋友聊天。",
        "音樂和燈光都很舒服，適合和朋友聊天。",
        "Nice music and lighting, perfect for catching up with friends.",
    ),
    _c(
        "product_availability",
        "想要的{product}都有货，选择也多。",
        "想要的{product}都有貨，選擇也很多。",
        "The {product} I wanted was in stock and there's plenty of choice.",
    ),
    _c(
        "product_availability",
        "限定款也能买到，很开心。",
        "限定款也買得到，很開心。",
        "I even got the limited edition. Very happy.",
    ),
    _c(
        "checkout",
        "结账很快，支持各种支付方式。",
        "結帳很快，各種付款方式都可以用。",
        "Quick checkout, and every payment method works.",
    ),
    _c(
        "checkout",
        "自助点单机很好用，积分也自动累计。",
        "自助點餐機很好用，點數也會自動累積。",
        "The self-order kiosk is easy and points are added automatically.",
    ),
    _c(
        "after_sales",
        "上次饮品做错了，店员马上重做还道歉，很暖心。",
        "上次飲品做錯了，店員馬上重做還道歉，很貼心。",
        "Last time my drink was wrong and they remade it right away with an apology. Very kind.",
    ),
    _c(
        "after_sales",
        "咖啡豆研磨问题反馈后很快就处理好了。",
        "咖啡豆研磨的問題反映後很快就處理好了。",
        "When I reported a grinding problem with my beans, it was sorted out quickly.",
    ),
)

_RETAIL_MIXED: tuple[CommentTemplate, ...] = (
    _c(GENERAL, "还可以，没有特别惊喜。", "還可以，沒有特別驚喜。", "It's fine, nothing special."),
    _c(
        GENERAL,
        "整体不错，但和其他品牌比优势不明显。",
        "整體不錯，但跟其他品牌比起來優勢不明顯。",
        "Good overall, but not clearly better than other brands.",
    ),
    _c(
        GENERAL,
        "{product}还行，希望多出点新品。",
        "{product}還可以，希望多推出一些新品。",
        "The {product} is okay; I'd like to see more new items.",
    ),
    _c(
        GENERAL,
        "有时候很好，有时候一般，稳定性可以再提高。",
        "有時候很好，有時候普通，穩定度可以再提升。",
        "Sometimes great, sometimes average. Could be more consistent.",
    ),
    _c(
        GENERAL,
        "方便是方便，就是没什么特色。",
        "方便是方便，就是沒什麼特色。",
        "Convenient, but nothing that stands out.",
    ),
    _c(
        GENERAL,
        "体验中规中矩，会继续来但不一定推荐。",
        "體驗中規中矩，會繼續來但不一定會推薦。",
        "A decent experience. I'll keep coming but wouldn't necessarily recommend it.",
    ),
    _c(
        GENERAL,
        "{store}离公司近所以常来，体验一般。",
        "{store}離公司近所以常來，體驗普通。",
        "{store} is close to my office so I come often; the experience is average.",
    ),
    _c(
        GENERAL,
        "咖啡不错，就是小食选择少了点。",
        "咖啡不錯，就是小點心的選擇少了一點。",
        "The coffee is good, but there's little choice of snacks.",
    ),
    _c(
        GENERAL,
        "会员权益有点少，希望多一些优惠。",
        "會員權益有點少，希望多一些優惠。",
        "Membership perks are a bit thin; more offers would be nice.",
    ),
    _c(
        GENERAL, "还行吧，基本满足需求。", "還行吧，基本上符合需求。", "It's alright, does the job."
    ),
    _c(
        "price",
        "味道不错，但价格偏高，不能天天喝。",
        "味道不錯，但價格偏高，沒辦法天天喝。",
        "Tastes good, but too pricey to have every day.",
    ),
    _c(
        "price",
        "最近涨价了，性价比没以前高。",
        "最近漲價了，CP值沒有以前高。",
        "Prices went up recently; not as good value as before.",
    ),
    _c(
        "price",
        "希望优惠券能多一点，现在有点贵。",
        "希望優惠券可以多一點，現在有點貴。",
        "I'd like more coupons, it's a bit expensive now.",
    ),
    _c(
        "staff_service",
        "店员态度还可以，就是不太主动。",
        "店員態度還可以，就是不太主動。",
        "Staff were fine but not very proactive.",
    ),
    _c(
        "staff_service",
        "服务一般，高峰期店员顾不过来。",
        "服務普通，尖峰時段店員忙不過來。",
        "Service is average; staff can't keep up at peak times.",
    ),
    _c(
        "staff_service",
        "点单时店员有点敷衍，其他还好。",
        "點餐時店員有點敷衍，其他還好。",
        "The person taking my order seemed a bit indifferent; otherwise fine.",
    ),
    _c(
        "wait_time",
        "咖啡好喝，就是排队有点久。",
        "咖啡好喝，就是排隊有點久。",
        "Good coffee, but the queue was a bit long.",
    ),
    _c(
        "wait_time",
        "早上高峰等了十分钟左右，希望能快一点。",
        "早上尖峰時段等了十分鐘左右，希望可以快一點。",
        "Waited about ten minutes in the morning rush; it could be faster.",
    ),
    _c(
        "wait_time",
        "出餐速度一般，赶时间的话不太方便。",
        "出餐速度普通，趕時間的話不太方便。",
        "Service speed is average, not great if you're in a hurry.",
    ),
    _c(
        "product_quality",
        "{product}味道还可以，但这次偏淡。",
        "{product}味道還可以，但這次偏淡。",
        "The {product} was okay but a bit weak this time.",
    ),
    _c(
        "product_quality",
        "今天的拿铁奶泡不太细腻，以前更好。",
        "今天拿鐵的奶泡不太細緻，以前比較好。",
        "The milk foam on today's latte wasn't as silky as it used to be.",
    ),
    _c(
        "product_quality",
        "烘焙有点干，咖啡倒是不错。",
        "烘焙有點乾，咖啡倒是不錯。",
        "The pastry was a bit dry, though the coffee was good.",
    ),
    _c(
        "store_environment",
        "座位太少，经常找不到位置。",
        "座位太少，常常找不到位子。",
        "Too few seats; I often can't find a place to sit.",
    ),
    _c(
        "store_environment",
        "环境还行，就是有点吵。",
        "環境還可以，就是有點吵。",
        "The place is okay, just a bit noisy.",
    ),
    _c(
        "store_environment",
        "桌子有时候没及时收拾。",
        "桌子有時候沒有即時整理。",
        "Tables aren't always cleared promptly.",
    ),
    _c(
        "product_availability",
        "想买的{product}经常卖完，有点可惜。",
        "想買的{product}常常賣完，有點可惜。",
        "The {product} I want is often sold out, which is a shame.",
    ),
    _c(
        "product_availability",
        "下午去的时候烘焙基本没了。",
        "下午去的時候烘焙幾乎都沒了。",
        "By the afternoon the pastries were mostly gone.",
    ),
    _c(
        "checkout",
        "结账还行，就是会员积分有时候没累计上。",
        "結帳還可以，就是會員點數有時候沒有累積到。",
        "Checkout is fine, but my member points sometimes aren't added.",
    ),
    _c(
        "checkout",
        "自助点单机偶尔卡顿。",
        "自助點餐機偶爾會卡住。",
        "The self-order kiosk freezes now and then.",
    ),
    _c(
        "after_sales",
        "反馈的问题有回复，但处理得慢。",
        "反映的問題有回覆，但處理得比較慢。",
        "I got a reply about my issue, but it took a while to resolve.",
    ),
    _c(
        "after_sales",
        "退换流程能再简单点就好了。",
        "退換流程如果能再簡單一點就好了。",
        "The return process could be simpler.",
    ),
)

_RETAIL_NEGATIVE: tuple[CommentTemplate, ...] = (
    _c(
        GENERAL,
        "体验很差，不会再来了。",
        "體驗很差，不會再來了。",
        "Terrible experience. I won't be back.",
    ),
    _c(
        GENERAL,
        "和以前比差太多了，很失望。",
        "跟以前比差太多了，很失望。",
        "So much worse than it used to be. Very disappointed.",
    ),
    _c(
        GENERAL,
        "{store}的管理需要好好改进。",
        "{store}的管理需要好好改進。",
        "{store} needs much better management.",
    ),
    _c(
        GENERAL,
        "花了钱还受气，不推荐。",
        "花了錢還受氣，不推薦。",
        "Paid good money and got annoyed. Not recommended.",
    ),
    _c(
        GENERAL,
        "{product}和宣传的完全不一样。",
        "{product}跟宣傳的完全不一樣。",
        "The {product} was nothing like the ads.",
    ),
    _c(
        GENERAL,
        "这次的体验让我考虑换别家了。",
        "這次的體驗讓我考慮換別家了。",
        "This visit made me consider switching to another brand.",
    ),
    _c(
        GENERAL,
        "问题反映过好几次都没有改善。",
        "問題反映過好幾次都沒有改善。",
        "I've raised the same issues several times and nothing has changed.",
    ),
    _c(
        GENERAL,
        "一点都不值这个价，非常失望。",
        "一點都不值這個價錢，非常失望。",
        "Not worth the price at all. Very disappointing.",
    ),
    _c(
        GENERAL,
        "已经第二次出问题了，不会再推荐给朋友。",
        "已經是第二次出問題了，不會再推薦給朋友。",
        "Second time something went wrong. I won't recommend you to friends.",
    ),
    _c(
        "price",
        "太贵了，一杯咖啡快赶上一顿饭钱。",
        "太貴了，一杯咖啡都快跟一餐一樣貴。",
        "Far too expensive; a coffee costs almost as much as a meal.",
    ),
    _c(
        "price",
        "又涨价了，品质却没提升。",
        "又漲價了，品質卻沒有提升。",
        "Prices went up again but the quality didn't.",
    ),
    _c(
        "price",
        "优惠券限制太多，根本用不了。",
        "優惠券限制太多，根本用不了。",
        "The coupons have so many restrictions they're useless.",
    ),
    _c(
        "staff_service",
        "店员态度很冷淡，问问题也爱答不理。",
        "店員態度很冷淡，問問題也愛理不理。",
        "The staff were cold and barely answered my questions.",
    ),
    _c(
        "staff_service",
        "{store}的店员一直在聊天，没人招呼客人。",
        "{store}的店員一直在聊天，沒有人招呼客人。",
        "Staff at {store} kept chatting among themselves and ignored customers.",
    ),
    _c(
        "staff_service",
        "点单出错了，店员还不耐烦。",
        "點餐出錯了，店員還很不耐煩。",
        "They got my order wrong and were impatient about it.",
    ),
    _c(
        "staff_service",
        "服务太差了，感觉不被尊重。",
        "服務太差了，感覺不被尊重。",
        "Awful service. I didn't feel respected.",
    ),
    _c(
        "wait_time",
        "排队等了二十多分钟，太浪费时间了。",
        "排隊等了二十多分鐘，太浪費時間了。",
        "Queued for over twenty minutes. A complete waste of time.",
    ),
    _c(
        "wait_time",
        "线上下单后到店还要等很久，提前下单没有意义。",
        "線上下單後到店還要等很久，提前下單根本沒意義。",
        "Even after ordering online I had to wait ages in store. Ordering ahead is pointless.",
    ),
    _c(
        "wait_time",
        "只有一个收银台在工作，队伍排到门口。",
        "只有一個櫃檯在結帳，隊伍排到門口。",
        "Only one till open and the queue went out the door.",
    ),
    _c(
        "wait_time",
        "等了半小时才拿到{product}，上班都迟到了。",
        "等了半小時才拿到{product}，上班都遲到了。",
        "Waited half an hour for my {product} and was late for work.",
    ),
    _c(
        "product_quality",
        "{product}味道不对，尝了一口就扔了。",
        "{product}味道不對，嚐了一口就丟了。",
        "The {product} tasted off; I threw it away after one taste.",
    ),
    _c(
        "product_quality",
        "咖啡是温的，明显放了很久。",
        "咖啡是溫的，明顯放了很久。",
        "The coffee was lukewarm; it had clearly been sitting there.",
    ),
    _c(
        "product_quality",
        "买的烘焙不新鲜，口感很差。",
        "買的烘焙不新鮮，口感很差。",
        "The pastry was stale and tasted bad.",
    ),
    _c(
        "product_quality",
        "咖啡豆快过期了还在卖，太不负责了。",
        "咖啡豆快過期了還在賣，太不負責任了。",
        "Selling coffee beans close to expiry is irresponsible.",
    ),
    _c(
        "store_environment",
        "店里很脏，桌子上全是污渍。",
        "店裡很髒，桌上都是污漬。",
        "The store was dirty, stains all over the tables.",
    ),
    _c(
        "store_environment",
        "空调太冷又很吵，根本坐不住。",
        "冷氣太冷又很吵，根本坐不住。",
        "Freezing air conditioning and very noisy. Couldn't stay.",
    ),
    _c(
        "store_environment",
        "洗手间很久没打扫了。",
        "洗手間很久沒打掃了。",
        "The restroom hadn't been cleaned in ages.",
    ),
    _c(
        "product_availability",
        "想要的{product}又没有了，来了好几次都这样。",
        "想要的{product}又沒有了，來了好幾次都這樣。",
        "The {product} I wanted was out again. It's happened several times.",
    ),
    _c(
        "product_availability",
        "菜单上一半的东西都售罄，太离谱了。",
        "菜單上一半的品項都賣完了，太誇張了。",
        "Half the menu was sold out. Ridiculous.",
    ),
    _c(
        "product_availability",
        "小程序显示有货，到店却说没有。",
        "小程式顯示有貨，到店卻說沒有。",
        "The app said it was in stock, but the store said it wasn't.",
    ),
    _c(
        "checkout",
        "结账系统出问题，付了两次钱。",
        "結帳系統出問題，被扣了兩次款。",
        "The checkout system broke and I was charged twice.",
    ),
    _c(
        "checkout",
        "会员积分没有累计，店员说不知道怎么处理。",
        "會員點數沒有累積，店員說不知道怎麼處理。",
        "My points weren't added and the staff said they didn't know how to fix it.",
    ),
    _c(
        "checkout",
        "不能用优惠券结账，还让我重新排队。",
        "結帳不能用優惠券，還要我重新排隊。",
        "They wouldn't take my coupon and made me queue again.",
    ),
    _c(
        "after_sales",
        "投诉了一周都没人回复。",
        "投訴了一個星期都沒有人回覆。",
        "I complained a week ago and nobody has replied.",
    ),
    _c(
        "after_sales",
        "退款流程太复杂，客服一直推脱。",
        "退款流程太複雜，客服一直推託。",
        "The refund process is a maze and support keeps passing the buck.",
    ),
    _c(
        "after_sales",
        "饮品做错了不给重做，只说下次注意。",
        "飲品做錯了不願意重做，只說下次注意。",
        "They got my drink wrong and refused to remake it, just said they'd be careful next time.",
    ),
)

_SUPPORT_POSITIVE: tuple[CommentTemplate, ...] = (
    _c(
        GENERAL,
        "客服回复很快，问题一次就解决了。",
        "客服回覆很快，問題一次就解決了。",
        "Support replied quickly and solved it in one go.",
    ),
    _c(
        GENERAL,
        "客服很耐心，讲解得很清楚。",
        "客服人員很有耐心，說明得很清楚。",
        "The agent was very patient and explained everything clearly.",
    ),
    _c(
        GENERAL,
        "{product}有问题，客服马上给我补发了，很满意。",
        "{product}有問題，客服馬上幫我補寄了，很滿意。",
        "There was a problem with my {product} and support fixed it straight away. Very satisfied.",
    ),
    _c(
        GENERAL,
        "退款很快就到账了，点赞。",
        "退款很快就入帳了，讚。",
        "The refund came through quickly. Thumbs up.",
    ),
    _c(
        GENERAL,
        "处理得很专业，比预期的快。",
        "處理得很專業，比預期的快。",
        "Handled professionally and faster than I expected.",
    ),
    _c(
        GENERAL,
        "会员积分的问题当天就处理好了。",
        "會員點數的問題當天就處理好了。",
        "My points issue was fixed the same day.",
    ),
    _c(
        GENERAL,
        "态度很好，还主动给了补偿券。",
        "態度很好，還主動給了補償券。",
        "Very friendly, and they offered a voucher without my asking.",
    ),
    _c(
        GENERAL,
        "在线客服响应及时，体验很好。",
        "線上客服回應很即時，體驗很好。",
        "The online chat responded promptly. Great experience.",
    ),
    _c(
        GENERAL,
        "电话一打就通，不用等。",
        "電話一打就通，不用等。",
        "Got through on the phone right away, no waiting.",
    ),
    _c(
        GENERAL,
        "问题解决了，还跟进确认了一次，很贴心。",
        "問題解決了，還追蹤確認了一次，很貼心。",
        "Problem solved, and they followed up to check. Thoughtful.",
    ),
)

_SUPPORT_MIXED: tuple[CommentTemplate, ...] = (
    _c(
        GENERAL,
        "问题解决了，但是中间等了挺久。",
        "問題解決了，但中間等了蠻久的。",
        "The problem got solved, but there was a long wait in between.",
    ),
    _c(
        GENERAL,
        "客服态度还行，就是需要重复说明好几次。",
        "客服態度還可以，就是要重複說明好幾次。",
        "The agent was polite, but I had to explain several times.",
    ),
    _c(
        GENERAL,
        "处理结果可以接受，流程有点繁琐。",
        "處理結果可以接受，流程有點繁瑣。",
        "The outcome was acceptable but the process was tedious.",
    ),
    _c(
        GENERAL,
        "机器人客服答非所问，转人工后才解决。",
        "機器人客服答非所問，轉真人後才解決。",
        "The chatbot didn't understand; a human agent sorted it out in the end.",
    ),
    _c(
        GENERAL,
        "补偿有点少，不过态度不错。",
        "補償有點少，不過態度不錯。",
        "The compensation was small, but they were friendly.",
    ),
    _c(
        GENERAL,
        "回复速度一般，希望能更快一点。",
        "回覆速度普通，希望可以更快一點。",
        "Replies were slowish; faster would be better.",
    ),
    _c(
        GENERAL,
        "{product}的问题解决了一半，还要再跟进。",
        "{product}的問題解決了一半，還要再追蹤。",
        "The {product} issue is only half solved; I'll need to follow up.",
    ),
    _c(
        GENERAL,
        "电话排队等了十分钟，接通后处理得还行。",
        "電話等了十分鐘才接通，接通後處理得還可以。",
        "Ten minutes on hold, but fine once I got through.",
    ),
)

_SUPPORT_NEGATIVE: tuple[CommentTemplate, ...] = (
    _c(
        GENERAL,
        "等了三天都没人处理，非常失望。",
        "等了三天都沒有人處理，非常失望。",
        "Three days and nobody has dealt with it. Very disappointed.",
    ),
    _c(
        GENERAL,
        "客服一直用模板回复，根本不解决问题。",
        "客服一直用罐頭訊息回覆，根本不解決問題。",
        "Support keeps sending canned replies and never solves anything.",
    ),
    _c(GENERAL, "退款到现在还没到账。", "退款到現在還沒入帳。", "My refund still hasn't arrived."),
    _c(
        GENERAL,
        "电话打了好几次都打不通。",
        "電話打了好幾次都打不通。",
        "I called several times and never got through.",
    ),
    _c(
        GENERAL,
        "订单送错了，客服让我自己联系门店。",
        "訂單送錯了，客服要我自己聯絡門市。",
        "My order was wrong and support told me to contact the store myself.",
    ),
    _c(
        GENERAL,
        "每次转接都要重新说明情况，太累了。",
        "每次轉接都要重新說明一次，太累了。",
        "Every transfer meant explaining everything again. Exhausting.",
    ),
    _c(
        GENERAL,
        "客服态度很差，还挂我电话。",
        "客服態度很差，還掛我電話。",
        "The agent was rude and hung up on me.",
    ),
    _c(
        GENERAL,
        "说好会回电，结果一直没消息。",
        "說好會回電，結果一直沒消息。",
        "They promised to call back and never did.",
    ),
    _c(
        GENERAL,
        "{product}的问题反映了三次，还是没解决。",
        "{product}的問題反映了三次，還是沒解決。",
        "I've reported the {product} problem three times and it's still not fixed.",
    ),
)

_SERVICE_POSITIVE: tuple[CommentTemplate, ...] = (
    _c(
        GENERAL,
        "在小程序上几步就办好了，很方便。",
        "在小程式上幾個步驟就辦好了，很方便。",
        "Done in a few taps in the mini-program. Very convenient.",
    ),
    _c(
        GENERAL,
        "流程清晰，不用来回跑。",
        "流程清楚，不用跑來跑去。",
        "A clear process, no running back and forth.",
    ),
    _c(
        GENERAL,
        "开发票很快，几分钟就收到了。",
        "開發票很快，幾分鐘就收到了。",
        "The invoice took only minutes to arrive.",
    ),
    _c(
        GENERAL,
        "积分兑换很顺利，一次成功。",
        "點數兌換很順利，一次就成功。",
        "Redeeming my points worked first time.",
    ),
    _c(
        GENERAL,
        "会员注册很简单，马上就能用优惠。",
        "會員註冊很簡單，馬上就能用優惠。",
        "Signing up as a member was easy and the offers worked right away.",
    ),
    _c(
        GENERAL,
        "店员直接帮我办好了，一点都不费劲。",
        "店員直接幫我辦好了，一點都不費力。",
        "The staff took care of it for me. No effort at all.",
    ),
    _c(
        GENERAL,
        "退款申请提交后很快就通过了。",
        "退款申請送出後很快就通過了。",
        "My refund request was approved quickly.",
    ),
    _c(
        GENERAL,
        "页面提示很清楚，自己就能搞定。",
        "頁面提示很清楚，自己就能搞定。",
        "The on-screen instructions were clear; I managed on my own.",
    ),
)

_SERVICE_MIXED: tuple[CommentTemplate, ...] = (
    _c(
        GENERAL,
        "能办好，就是步骤有点多。",
        "辦得好，就是步驟有點多。",
        "It worked, but there were quite a few steps.",
    ),
    _c(
        GENERAL,
        "需要填写的信息太多了。",
        "需要填寫的資料太多了。",
        "Too much information to fill in.",
    ),
    _c(
        GENERAL,
        "第一次没成功，第二次才办好。",
        "第一次沒成功，第二次才辦好。",
        "It failed the first time and worked the second.",
    ),
    _c(
        GENERAL,
        "验证码收得有点慢。",
        "驗證碼收得有點慢。",
        "The verification code was slow to arrive.",
    ),
    _c(
        GENERAL,
        "流程还行，但说明不够清楚。",
        "流程還可以，但說明不夠清楚。",
        "The process is okay but the instructions aren't clear enough.",
    ),
    _c(
        GENERAL,
        "办{product}相关的业务要跳转好几个页面。",
        "辦{product}相關的業務要跳轉好幾個頁面。",
        "Anything to do with the {product} takes you through several pages.",
    ),
    _c(
        GENERAL,
        "线上办不了，还得去{store}。",
        "線上辦不了，還得去{store}。",
        "Couldn't do it online; I had to go to {store}.",
    ),
    _c(
        GENERAL,
        "等了一会儿才有人处理，整体还行。",
        "等了一下才有人處理，整體還可以。",
        "Had to wait a bit for someone to help, but it was fine overall.",
    ),
)

_SERVICE_NEGATIVE: tuple[CommentTemplate, ...] = (
    _c(
        GENERAL,
        "流程太复杂了，折腾了半天。",
        "流程太複雜了，折騰了半天。",
        "Far too complicated; it took me ages.",
    ),
    _c(
        GENERAL,
        "小程序一直报错，根本提交不了。",
        "小程式一直出錯，根本送不出去。",
        "The mini-program kept throwing errors; I couldn't submit.",
    ),
    _c(
        GENERAL,
        "被要求重复上传资料三次。",
        "被要求重複上傳資料三次。",
        "I was asked to upload the same documents three times.",
    ),
    _c(
        GENERAL,
        "退款要求去门店办，线上完全不能处理。",
        "退款要求到門市辦，線上完全不能處理。",
        "Refunds have to be done in store; nothing can be done online.",
    ),
    _c(
        GENERAL,
        "积分兑换失败，积分还被扣了。",
        "點數兌換失敗，點數還被扣掉了。",
        "Redeeming failed and my points were deducted anyway.",
    ),
    _c(
        GENERAL,
        "问了三个人都说不清楚怎么办。",
        "問了三個人都說不清楚要怎麼辦。",
        "I asked three people and none of them knew how to do it.",
    ),
    _c(
        GENERAL,
        "发票开错了，重开又要重新申请。",
        "發票開錯了，重開又要重新申請。",
        "The invoice was wrong and reissuing meant applying all over again.",
    ),
    _c(
        GENERAL,
        "在{store}排队办理等了四十分钟。",
        "在{store}排隊辦理等了四十分鐘。",
        "Waited forty minutes in line at {store} to get it done.",
    ),
)

COMMENT_BANK: Mapping[str, Mapping[str, tuple[CommentTemplate, ...]]] = {
    RETAIL: {POSITIVE: _RETAIL_POSITIVE, MIXED: _RETAIL_MIXED, NEGATIVE: _RETAIL_NEGATIVE},
    SUPPORT: {POSITIVE: _SUPPORT_POSITIVE, MIXED: _SUPPORT_MIXED, NEGATIVE: _SUPPORT_NEGATIVE},
    SERVICE: {POSITIVE: _SERVICE_POSITIVE, MIXED: _SERVICE_MIXED, NEGATIVE: _SERVICE_NEGATIVE},
}


def tone_templates(tone: str) -> tuple[CommentTemplate, ...]:
    """Every template of one tone, whatever the context."""
    return tuple(template for bank in COMMENT_BANK.values() for template in bank[tone])


def possible_comments(tone: str, language: str) -> frozenset[str]:
    """Every text a comment of this tone and language can read as (store and product filled)."""
    return frozenset(
        template.texts[language].format(
            store=store.names[language], product=product.names[language]
        )
        for template in tone_templates(tone)
        for store in STORES
        for product in PRODUCTS.values()
    )

from typing import Any

import factory
from django.contrib.auth import get_user_model

from cxloop.organizations.models import Membership, Organization, Role
from cxloop.responses.services import response_submit
from cxloop.surveys.models import Survey
from cxloop.surveys.services import survey_create, survey_publish

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def saved(obj: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    time_zone = "Asia/Shanghai"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


def nps_definition(**overrides: Any) -> dict[str, Any]:
    """A small bilingual survey: NPS, CSAT, an optional comment and a choice."""
    definition: dict[str, Any] = {
        "name": "Store visit",
        "languages": ["zh-Hans", "en"],
        "kind": "transactional",
        "touchpoint": "门店购物",
        "questions": [
            {
                "key": "nps",
                "type": "nps",
                "text": {
                    "zh-Hans": "您有多大可能向朋友推荐我们？",
                    "en": "How likely are you to recommend us?",
                },
            },
            {
                "key": "sat",
                "type": "csat",
                "required": False,
                "text": {"zh-Hans": "您对本次服务满意吗？", "en": "How satisfied were you?"},
            },
            {
                "key": "why",
                "type": "text",
                "required": False,
                "text": {"zh-Hans": "原因是什么？", "en": "Why?"},
            },
        ],
    }
    definition.update(overrides)
    return definition


def survey_for(organization: Organization, *, publish: bool = True, **overrides: Any) -> Survey:
    survey = survey_create(organization=organization, definition=nps_definition(**overrides))
    if publish:
        survey = survey_publish(survey=survey)
    return survey


def answer(survey: Survey, nps: int, **kwargs: Any) -> Any:
    answers = {"nps": nps, **kwargs.pop("answers", {})}
    response, _created = response_submit(survey=survey, answers=answers, **kwargs)
    return response

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User


def user_with_email(email: str) -> User | None:
    """The account with this e-mail address; addresses are unique ignoring case."""
    return get_user_model()._default_manager.filter(email__iexact=email.strip()).first()

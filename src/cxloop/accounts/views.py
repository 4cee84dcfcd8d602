from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cxloop.accounts.forms import SignUpForm
from cxloop.accounts.services import user_sign_up
from cxloop.common.errors import InputError
from cxloop.organizations.forms import add_service_errors


def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
                organization_name=form.cleaned_data["organization_name"],
            )
        except InputError as error:
            add_service_errors(form, error)
        else:
            login(request, user, backend="cxloop.accounts.backends.EmailBackend")
            messages.success(request, _("Welcome to cxloop! Your organization is ready."))
            # home sends the new owner on to the surveys of their (only) organization.
            return redirect("home")
    status = 400 if form.errors else 200
    return render(request, "accounts/signup.html", {"form": form}, status=status)

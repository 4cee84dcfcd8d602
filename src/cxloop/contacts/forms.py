"""Forms parse and shape input only; the services decide what is valid."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ContactImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "The first row holds the headings: external_id, name, email, phone, language, "
            "time_zone (or 外部ID, 姓名, 邮箱, 手机, 语言, 时区). Any other column becomes an "
            "attribute, e.g. store or tier. At most 100,000 rows and 20 MB."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

"""How a refused form shows its errors: the focus on the first of them, without script.

Every form is rendered through ``Renderer`` (``FORM_RENDERER``), whose bound fields give
the first field in error ``autofocus`` and take it from every other field (the sign-in
form's username has it otherwise). A refusal about no one field has its summary focused
instead (templates/bootstrap5/errors.html, ``first_error_field``). Django ties each error
to its field already: ``aria-invalid`` and ``aria-describedby`` naming ``<id>_error``,
on the field or, for a group of choices, on its fieldset.
"""

from django.core.exceptions import ValidationError
from django.forms import BaseForm, BoundField
from django.forms.renderers import DjangoTemplates


def add_refusal(form: BaseForm, exc: ValidationError) -> None:
    """Show a service's refusal on the form: each message on the field it is keyed by,
    and on the form itself when it names no field of this form (or no field at all)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)


def first_error_field(form: BaseForm) -> str | None:
    """The name of the form's first visible field in error, in the fields' order."""
    if not form.is_bound or not form.errors:
        return None
    return next(
        (
            name
            for name, field in form.fields.items()
            if name in form.errors and not field.widget.is_hidden
        ),
        None,
    )


class FocusFirstErrorBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.form.is_bound and self.form.errors:
            # False leaves the attribute out, whatever the widget's own attrs say.
            attrs["autofocus"] = self.name == first_error_field(self.form)
        return attrs


class Renderer(DjangoTemplates):
    bound_field_class = FocusFirstErrorBoundField

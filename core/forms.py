"""Form base: Bootstrap classes and aria attributes on every widget, and the refusal of control
characters in every text field (core.text), in one place."""

from __future__ import annotations

import html

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from .crypto import PERSONAL_MASKS
from .text import refuse_control_characters

DJANGO_EMPTY_LABEL = "---------"


def _name_the_empty_choice(field: forms.Field) -> None:
    """A blank choice reads 请选择, not Django's "---------" (forms that mean 全部 say so)."""
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == DJANGO_EMPTY_LABEL:
            field.empty_label = gettext("请选择")
    elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField):
        choices = list(field.choices)
        if choices and choices[0] == ("", DJANGO_EMPTY_LABEL):
            field.choices = [("", gettext("请选择")), *choices[1:]]


class PortalFormMixin:
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if type(widget) is forms.CheckboxSelectMultiple:
                # Django's puts the input class on the group's <div> too (a 22 px column the
                # labels ran down, a letter a line) and labels the group for="": ours ticks
                # each box, and the form template gives the group a <legend>.
                widget = field.widget = FastCheckboxSelectMultiple(
                    attrs=widget.attrs, choices=widget.choices
                )
            _name_the_empty_choice(field)
            if isinstance(field, forms.CharField):
                field.validators.append(refuse_control_characters)
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)
            if field.help_text:  # the id the templates give the help text (id_for_label-help)
                widget.attrs.setdefault("aria-describedby", f"{self[name].auto_id}-help")

    def full_clean(self) -> None:
        super().full_clean()
        for name in getattr(self, "_errors", {}) or {}:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"


class PortalForm(PortalFormMixin, forms.Form):
    pass


class PortalModelForm(PortalFormMixin, forms.ModelForm):
    pass


class MaskedPersonalDataMixin:
    """Bank accounts and phone numbers are shown masked in forms too; a masked value sent back
    unchanged keeps the stored one, so editing another field never needs the full number."""

    masked_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        self._masked_sent: dict[str, tuple[str, str]] = {}  # data key → (masked, stored)
        for name in self.masked_fields:
            stored = getattr(instance, name, "") if instance is not None else ""
            if not stored:
                continue
            masked = PERSONAL_MASKS[name](stored)
            self.initial[name] = masked
            key = self.add_prefix(name)
            if self.is_bound and self.data.get(key) == masked:
                self._masked_sent[key] = (masked, stored)

    def full_clean(self) -> None:
        """Clean with the stored values for the masked ones sent back, then put the masks back:
        a form shown again with another field's error must not print the full number."""
        if not self._masked_sent:
            return super().full_clean()
        self._put_back(stored=True)
        try:
            super().full_clean()
        finally:
            self._put_back(stored=False)

    def _put_back(self, *, stored: bool) -> None:
        data = self.data.copy()
        for key, (masked, value) in self._masked_sent.items():
            data[key] = value if stored else masked
        self.data = data


# Rendered form markup by form_markup's key (what, choices' version, language, values).
_MARKUP: dict[tuple, str] = {}
_MARKUP_MAX = 512


def form_markup(form: forms.Form, what: str, render, *, version) -> SafeString:
    """`render()`, markup of the form's fields, rendered once per process for each `version`
    of the fields' choices (the catalogue version), language and set of submitted values:
    for forms whose markup depends on nothing else (selected options and errors come from
    the values). `what` names the markup (one form may be rendered in parts). The key holds
    the form's class, so a class made per request (django-filter's default get_form_class)
    never hits: reviews.selectors.QueueFilter builds its form class once."""
    form.errors  # noqa: B018 - validated first: the error classes are part of the markup
    if form.is_bound:
        getlist = getattr(form.data, "getlist", None)
        values = tuple(
            (name, tuple(getlist(name)) if getlist else form.data.get(name)) for name in form.fields
        )
    else:
        values = None
    key = (type(form), what, version, get_language(), values)
    markup = _MARKUP.get(key)
    if markup is None:
        if len(_MARKUP) >= _MARKUP_MAX:
            _MARKUP.clear()
        markup = _MARKUP[key] = str(render())
    return mark_safe(markup)  # noqa: S308 - render() escapes (the template engine, widgets)


# Rendered unselected <option> lists by FastSelect.options_key (choice lists of the catalogue).
_OPTIONS: dict[object, str] = {}
_OPTIONS_MAX = 512


class FastSelect(forms.Select):
    """A <select> rendered in Python: the template-per-option renderer costs ~1 ms per 20
    options, which dominated the review queue's filter form (130 options)."""

    def options_key(self, name: str):
        """A key under which this field's unselected options may be kept in the process
        (subclasses whose choices depend only on that key), or None to render them each time."""

    def _options(self, name: str, selected: set[str]) -> str:
        key = self.options_key(name)
        if key is None:
            return self._render_options(selected)
        options = _OPTIONS.get(key)
        if options is None:
            if len(_OPTIONS) >= _OPTIONS_MAX:
                _OPTIONS.clear()
            options = _OPTIONS[key] = self._render_options(set())
        # The markup of an unselected option is exactly this; selecting adds the attribute.
        for value in selected:
            plain = f'<option value="{html.escape(value)}">'
            options = options.replace(plain, f"{plain[:-1]} selected>", 1)
        return options

    def _render_options(self, selected: set[str]) -> str:
        # html.escape is Django's escape() without its lazy wrapper (~3 µs an option less).
        return "".join(
            f'<option value="{html.escape(str(key))}"'
            f"{' selected' if str(key) in selected else ''}>{html.escape(str(label))}</option>"
            for key, label in self.choices
        )

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)  # a list; NullBooleanSelect's is one string
        selected = {str(v) for v in ([value] if isinstance(value, str) else value)}
        options = mark_safe(self._options(name, selected))  # noqa: S308 - keys and labels escaped
        return format_html(
            "<select name={}{}{}>{}</select>",
            mark_safe(f'"{escape(name)}"'),  # noqa: S308 - escaped
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe(" multiple") if self.allow_multiple_selected else "",
            options,
        )


class FastCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """Ticks in one wrapping line, rendered in Python like FastSelect (a filter row of a few
    choices, where a multiple <select> would be a tall box out of line with the others)."""

    def id_for_label(self, id_, index=None):
        # The group's own id (Django's gives ""), so "<id>-error" and "-help" name this group.
        return id_ if index is None else f"{id_}_{index}"

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        base_id = attrs.pop("id", None) or f"id_{name}"
        css = html.escape(attrs.pop("class", "form-check-input"))
        selected = {str(v) for v in (self.format_value(value) or [])}
        boxes = []
        for index, (key, label) in enumerate(self.choices):
            key = str(key)
            box_id = html.escape(f"{base_id}_{index}")
            boxes.append(
                f'<div class="form-check form-check-inline mb-0">'
                f'<input class="{css}" type="checkbox" name="{html.escape(name)}" '
                f'value="{html.escape(key)}" id="{box_id}"'
                f"{' checked' if key in selected else ''}>"
                f'<label class="form-check-label" for="{box_id}">{html.escape(str(label))}</label>'
                f"</div>"
            )
        return mark_safe(  # noqa: S308 - every part is escaped
            f'<div id="{html.escape(base_id)}"{flatatt(attrs)}>{"".join(boxes)}</div>'
        )


class FastNullBooleanSelect(FastSelect, forms.NullBooleanSelect):
    pass


class FastInputMixin:
    """An <input> rendered in Python: the same markup as django/forms/widgets/input.html and
    attrs.html, without a template render per field."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<input type="{html.escape(str(widget["type"]))}" name="{html.escape(name)}"']
        if widget["value"] is not None:
            parts.append(f' value="{html.escape(str(widget["value"]))}"')
        for key, attr in widget["attrs"].items():
            if attr is True:
                parts.append(f" {html.escape(key)}")
            elif attr is not False:
                parts.append(f' {html.escape(key)}="{html.escape(str(attr))}"')
        parts.append(">")
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped


class FastTextInput(FastInputMixin, forms.TextInput):
    pass


class FastNumberInput(FastInputMixin, forms.NumberInput):
    pass

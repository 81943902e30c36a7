"""Read-only serializer speed: the same output as DRF's Serializer.to_representation, without
its per-field, per-row generic machinery.

DRF resolves each field's source on every row through Field.get_attribute, which calls
inspect.signature for every method source (get_status_display): a 50-row queue page spent
~15 ms (cProfile) there. FastReadMixin resolves the sources with plain getattr and decides
once per function whether a source is a simple callable (DRF's own test), and falls back to
DRF's exact path for anything unusual (a missing relation, a field with its own
get_attribute)."""

from __future__ import annotations

import copy
import functools
import types

from rest_framework import serializers
from rest_framework.fields import Field, SkipField, is_simple_callable
from rest_framework.relations import PKOnlyObject
from rest_framework.utils import html

_CALLABLE_TYPES = (
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    functools.partial,
)
_SIMPLE: dict[object, bool] = {}


def _simple(obj) -> bool:
    key = getattr(obj, "__func__", None) or obj
    try:
        known = _SIMPLE.get(key)
    except TypeError:  # unhashable partial
        return is_simple_callable(obj)
    if known is None:
        known = _SIMPLE[key] = is_simple_callable(obj)
    return known


class _Slow(Exception):
    pass


def _resolve(instance, attrs):
    for attr in attrs:
        try:
            instance = getattr(instance, attr)
        except Exception as exc:
            raise _Slow from exc
        if isinstance(instance, _CALLABLE_TYPES) and _simple(instance):
            instance = instance()
    return instance


class FastReadMixin:
    def get_fields(self):
        """A ModelSerializer introspects its model for every instance (~4 ms a request for
        the queue API's serializers): build the unbound fields once per class, then hand out
        deep copies, as Serializer.get_fields does with the declared ones."""
        cls = type(self)
        template = cls.__dict__.get("_fast_fields")
        if template is None:
            template = super().get_fields()
            cls._fast_fields = template
        return copy.deepcopy(template)

    @functools.cached_property
    def _fast_plan(self):
        return [
            (field, tuple(field.source_attrs), type(field).get_attribute is Field.get_attribute)
            for field in self._readable_fields
        ]

    def to_representation(self, instance):
        ret = {}
        for field, attrs, fast in self._fast_plan:
            try:
                if not fast:
                    raise _Slow
                attribute = _resolve(instance, attrs)
            except _Slow:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[field.field_name] = None if check is None else field.to_representation(attribute)
        return ret


class ObjectField(serializers.DictField):
    """A JSON object. In a form or multipart body DRF reads only `name.key` fields, so a plain
    `facts=abc` became {} and a PATCH wiped a draft's facts: such a value is refused instead."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)

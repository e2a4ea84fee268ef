"""otpservice.api.serializers.rendered: one kept serializer instance renders exactly what a fresh one does."""
from types import SimpleNamespace

from rest_framework import serializers

from otpservice.api.serializers import _renderers, rendered


class _Child(serializers.Serializer):
    name = serializers.CharField()


class _Parent(serializers.Serializer):
    id = serializers.IntegerField()
    children = _Child(many=True)
    secret = serializers.CharField()

    def to_representation(self, instance):
        body = super().to_representation(instance)
        if not self.context.get("codes", True):
            body.pop("secret")
        return body


def _thing(n: int) -> SimpleNamespace:
    return SimpleNamespace(id=n, secret=f"s{n}", children=[SimpleNamespace(name=f"c{n}.{i}") for i in range(n % 3)])


def test_rendering_many_objects_in_turn_matches_a_fresh_serializer_each_time():
    things = [_thing(n) for n in range(7)]
    for thing in things + things[::-1]:
        assert rendered(_Parent, thing) == _Parent(thing).data
        assert rendered(_Parent, thing, codes=False) == _Parent(thing, context={"codes": False}).data


def test_each_context_has_its_own_instance_and_a_replay_context_never_renders_the_secret():
    thing = _thing(4)
    assert "secret" in rendered(_Parent, thing)
    assert "secret" not in rendered(_Parent, thing, codes=False)
    assert "secret" in rendered(_Parent, thing)
    kept = [serializer for (cls, _), serializer in _renderers.items() if cls is _Parent]
    assert len(kept) == 2

import pytest

import zoo
from zoo.registry import get_preset


def test_list_models_sorted_and_globbed():
    names = zoo.list_models()
    assert names == sorted(names) and {"dcgan-mnist", "dcgan-fashion-mnist"} <= set(names)
    assert zoo.list_models("dcgan-*") == [n for n in names if n.startswith("dcgan-")]
    assert zoo.list_models("nothing-*") == []


def test_names_follow_family_dataset():
    for name in zoo.list_models():
        p = get_preset(name)
        assert name == f"{p.family}-{p.dataset}"


def test_unknown_name_is_a_keyerror_with_suggestions():
    with pytest.raises(KeyError) as e:
        zoo.load("dcgan-mnsit")
    assert isinstance(e.value, zoo.UnknownModelError)
    assert "did you mean dcgan-mnist" in str(e.value) and not str(e.value).startswith("'")


@pytest.mark.parametrize("name", zoo.list_models())
def test_info_needs_no_weights_and_names_the_dataset(name, monkeypatch):
    import keras

    def fail(*a, **k):
        raise AssertionError("info() must not load weights")

    monkeypatch.setattr(keras.Model, "load_weights", fail)
    card = zoo.info(name)
    assert card["name"] == name and card["dataset"] == get_preset(name).dataset

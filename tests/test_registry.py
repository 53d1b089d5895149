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


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_step_is_a_gan_step_with_a_cost_and_a_tiny_config(name):
    from zoo.registry import tiny_preset
    from zoo.training.step import GANStep, StepCost

    p = get_preset(name)
    step = p.step.from_preset(p)
    assert isinstance(step, GANStep) and isinstance(step.cost(), StepCost)
    assert step.steady_state_images() >= 0
    tiny = tiny_preset(name, batch_size=4)
    assert tiny.recipe.batch_size == 4 and tiny.generator_weights is tiny.discriminator_weights is None
    # Tiny means tiny (the tests' speed depends on it); the images keep their channels.
    g_tiny = tiny.generator(**tiny.generator_config)
    g_full = p.generator(**p.generator_config)
    assert g_tiny.count_params() * 5 < g_full.count_params()
    assert g_tiny.output_shape[-1] == g_full.output_shape[-1]


def test_register_refuses_a_step_outside_the_contract_and_unregister_undoes(tiny_preset):
    import dataclasses

    from zoo import registry

    class NotAStep:  # has the methods, but does not declare the contract
        from_preset = get_config = sample_latents = losses = None

    with pytest.raises(TypeError, match="GANStep"):
        registry.register(dataclasses.replace(tiny_preset, name="bad-step", step=NotAStep))
    with pytest.raises(ValueError, match="tiny may override"):
        registry.register(dataclasses.replace(tiny_preset, name="bad-tiny", tiny={"recipes": {}}))
    registry.register(dataclasses.replace(tiny_preset, name="temp-entry"))
    assert "temp-entry" in zoo.list_models()
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(dataclasses.replace(tiny_preset, name="temp-entry"))
    registry.unregister("temp-entry")
    assert "temp-entry" not in zoo.list_models() and "bad-step" not in zoo.list_models()


def test_training_package_exports_the_contract():
    from zoo.training import GANStep as A, TrainState, build_train_step  # noqa: F401
    from zoo.training.step import GANStep as B

    assert A is B and callable(build_train_step) and TrainState.create

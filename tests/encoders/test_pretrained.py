"""Pretrained encoders: tokenizer, transformers text/image/audio backbones, freezing, the frozen-output cache.

Every model here is built from a tiny config and saved to a temporary
folder; nothing is downloaded.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skmm import ModalityTransformer, MultimodalClassifier, MultimodalRegressor
from skmm.data.inputs import ModalityInfo, check_matches, describe, to_tensors
from skmm.encoders import Pretrained
from skmm.preprocessing import ImageLoader, PretrainedTokenizer
from skmm.pretrained.feature_cache import feature_cache
from skmm.pretrained.loading import Backbone, find_blocks, local_files_only

transformers = pytest.importorskip("transformers")

WORDS = ["good", "bad", "film", "plot", "actor", "music", "long", "short", "fun", "dull"]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="session")
def bert_dir(tmp_path_factory):
    """A two-layer BERT of width 16 and its word-piece tokenizer."""
    folder = tmp_path_factory.mktemp("bert")
    vocab = {w: i for i, w in enumerate(SPECIAL + WORDS)}
    transformers.BertTokenizerFast(vocab=vocab).save_pretrained(folder)
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=32,
    )
    transformers.BertModel(config).save_pretrained(folder)
    return str(folder)


def _vision_dir(tmp_path_factory, name, config):
    folder = tmp_path_factory.mktemp(name)
    torch.manual_seed(0)
    transformers.AutoModel.from_config(config).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def resnet_dir(tmp_path_factory):
    return _vision_dir(tmp_path_factory, "resnet", transformers.ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1]))


@pytest.fixture(scope="session")
def vit_dir(tmp_path_factory):
    return _vision_dir(tmp_path_factory, "vit", transformers.ViTConfig(
        image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32))


def _text_frame(n=24, seed=0):
    """Distinct texts (so each row is its own cache entry); the label is 'good' vs 'bad'."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    texts = [
        " ".join([["bad", "good"][label], *rng.choice(WORDS[2:], size=2 + i % 4)]) + f" {'fun' * (i // 8)}"
        for i, label in enumerate(y)
    ]
    return pd.DataFrame({"review": texts, "n": rng.rand(n)}), y


def _text_clf(folder, freeze=True, **params):
    prep = ModalityTransformer([("text", PretrainedTokenizer(folder, max_len=12), "review")])
    return MultimodalClassifier(
        prep, encoders={"text": Pretrained(folder, freeze=freeze)},
        **{"max_epochs": 15, "lr": 3e-2, "early_stopping": False, "random_state": 0, "verbose": 0, **params},
    )


def _backbone_state(clf, name="text"):
    return {k: v.clone() for k, v in clf.net_.module_.encoders[name].backbone.state_dict().items()}


def _saved_state(folder):
    """The backbone's weights as saved, before any training."""
    encoder = Pretrained(folder).build(ModalityInfo("tokenized", (2, 8)), hidden_size=4, dropout=0.0)
    return encoder.backbone.state_dict()


# -- tokenizer -----------------------------------------------------------------
def test_tokenizer_ids_and_mask(bert_dir):
    tok = PretrainedTokenizer(bert_dir, max_len=6).fit(pd.Series(["good film"], name="review"))
    out = tok.transform(pd.Series(["good film", "bad plot actor music long", ""]))
    assert out.shape == (3, 2, 6) and out.dtype == np.int64
    vocab = {w: i for i, w in enumerate(SPECIAL + WORDS)}
    assert out[0, 0].tolist() == [2, vocab["good"], vocab["film"], 3, 0, 0]
    assert out[1, 1].tolist() == [1] * 6 and out[1, 0, -1] == 3  # truncated, still ends in [SEP]
    assert out[2, 1].sum() == 2  # empty text: [CLS] [SEP]
    assert tok.vocab_size_ == len(vocab) and tok.pad_token_id_ == 0
    assert tok.feature_names_in_.tolist() == ["review"]
    assert len(tok.get_feature_names_out()) == 12


def test_tokenizer_missing_and_bad_values(bert_dir):
    X = pd.Series(["good", None, "bad"], index=[10, 11, 12], name="review")
    with pytest.raises(ValueError, match=r"column 'review', row 11: text is missing"):
        PretrainedTokenizer(bert_dir).fit(X)
    out = PretrainedTokenizer(bert_dir, max_len=4, on_missing="mask").fit_transform(X)
    assert out[1].sum() == 0 and out[0, 1].sum() > 0
    with pytest.raises(TypeError, match=r"row 1: expected a string"):
        PretrainedTokenizer(bert_dir).fit(["good", 3])
    with pytest.raises(ValueError, match="max_len"):
        PretrainedTokenizer(bert_dir, max_len=0).fit(["good"])
    with pytest.raises(ValueError, match="could not load the tokenizer"):
        PretrainedTokenizer(str(bert_dir) + "-missing").fit(["good"])


def test_tokenizer_pickles_without_the_tokenizer(bert_dir):
    tok = PretrainedTokenizer(bert_dir, max_len=5).fit(["good film"])
    restored = pickle.loads(pickle.dumps(tok))
    assert set(vars(restored)) == set(vars(tok))  # no tokenizer object among the fitted state
    np.testing.assert_array_equal(restored.transform(["bad plot"]), tok.transform(["bad plot"]))
    assert clone(tok).get_params() == tok.get_params()


def test_tokenized_kind_inference():
    ids = np.array([[[2, 5, 3, 0], [1, 1, 1, 0]], [[0, 0, 0, 0], [0, 0, 0, 0]]])
    info = describe({"t": ids})["t"]
    assert info == ModalityInfo("tokenized", (2, 4))
    tensors = to_tensors({"t": ids}, {"t": info})["t"]
    assert tensors["lengths"].tolist() == [3, 0] and tensors["present"].tolist() == [True, False]
    check_matches({"t": np.zeros((1, 2, 9), dtype=np.int64)}, {"t": info})  # another length is fine
    # A second row that is no 0/1 mask (or holds no real token) is read as
    # subword token ids with max_len=2 (TextSequencer's (n, T, 1 + K)).
    bad = ids.copy()
    bad[0, 1, 0] = 2
    assert describe({"t": bad})["t"].kind == "tokens"
    assert describe({"t": np.zeros((3, 2, 4), dtype=np.int64)})["t"].kind == "tokens"



def test_tokenizer_reports_presence_and_declares_its_kind(bert_dir):
    prep = ModalityTransformer([("t", PretrainedTokenizer(bert_dir, max_len=5, on_missing="mask"), "t")])
    out = prep.fit_transform(pd.DataFrame({"t": ["good film", None, ""]}))
    assert out.present["t"].tolist() == [True, False, True] and out.kinds["t"] == "tokenized"
    # A batch with every text missing has no real token: undeclared, it reads as subword ids.
    missing = prep.transform(pd.DataFrame({"t": [None, None]}))
    assert describe(dict(missing))["t"].kind == "tokens"
    assert describe(missing)["t"].kind == "tokenized"
    assert to_tensors(missing, describe(missing))["t"]["present"].tolist() == [False, False]

# -- text --------------------------------------------------------------------
def test_text_fit_predict_pipeline_clone_pickle(bert_dir):
    X, y = _text_frame()
    clf = _text_clf(bert_dir)
    assert clone(clf).get_params()["encoders"]["text"].get_params()["name"] == bert_dir
    clf.fit(X, y)
    assert clf.score(X, y) >= 0.9
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    # In a Pipeline with the transformer outside the estimator:
    pipe = make_pipeline(
        ModalityTransformer([("text", PretrainedTokenizer(bert_dir, max_len=12), "review"),
                             ("n", "passthrough", ["n"])]),
        MultimodalClassifier(encoders={"text": Pretrained(bert_dir)}, max_epochs=15, lr=3e-2,
                             early_stopping=False, random_state=0, verbose=0),
    ).fit(X, y)
    assert pipe.score(X, y) >= 0.9


def test_save_params_round_trip(bert_dir, tmp_path):
    X, y = _text_frame()
    clf = _text_clf(bert_dir, max_epochs=3).fit(X, y)
    clf.save_params(tmp_path / "model.pt")
    loaded = _text_clf(bert_dir, max_epochs=3).load_params(tmp_path / "model.pt")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_freeze_true_keeps_backbone_and_trains_projection(bert_dir):
    X, y = _text_frame()
    before = _saved_state(bert_dir)
    clf = _text_clf(bert_dir, freeze=True).fit(X, y)
    after = _backbone_state(clf)
    assert all(torch.equal(before[k], after[k]) for k in before)
    encoder = clf.net_.module_.encoders["text"]
    assert not any(p.requires_grad for p in encoder.backbone.parameters())
    assert all(p.requires_grad for p in encoder.project.parameters())
    assert not encoder.backbone.training  # eval mode: dropout off, so outputs can be cached


def test_freeze_false_and_last_block(bert_dir):
    X, y = _text_frame()
    before = _saved_state(bert_dir)
    changed = lambda after: {k for k in before if not torch.equal(before[k], after[k])}  # noqa: E731
    full = changed(_backbone_state(_text_clf(bert_dir, freeze=False, max_epochs=3).fit(X, y)))
    assert any(k.startswith("model.embeddings.") for k in full)
    assert any(k.startswith("model.encoder.layer.0.") for k in full)
    last = changed(_backbone_state(_text_clf(bert_dir, freeze=1, max_epochs=3).fit(X, y)))
    assert any(k.startswith("model.encoder.layer.1.") for k in last)
    # Only the last block (and the pooler after it) trained: nothing before it moved.
    assert all(k.startswith(("model.encoder.layer.1.", "model.pooler.")) for k in last)
    with pytest.raises(ValueError, match="only 2 blocks"):
        _text_clf(bert_dir, freeze=3).fit(X, y)
    with pytest.raises(ValueError, match="freeze"):
        _text_clf(bert_dir, freeze=-1).fit(X, y)


def test_frozen_outputs_are_cached_across_grid_candidates(bert_dir, monkeypatch):
    X, y = _text_frame()
    feature_cache.clear()
    sizes = []
    forward = Backbone.forward

    def counting(self, x):
        if x.shape != (1, 2, 4):  # a real batch, not the example run at build time
            sizes.append(len(x))
        return forward(self, x)

    monkeypatch.setattr(Backbone, "forward", counting)
    grid = GridSearchCV(_text_clf(bert_dir, max_epochs=3), {"hidden_size": [8, 16]}, cv=2, refit=False)
    grid.fit(X, y)
    # 2 candidates x 2 folds x (3 epochs + scoring) would run the backbone over
    # every row many times; with the cache each distinct row runs once.
    assert sum(sizes) == len(set(X["review"]))
    assert feature_cache.stats()["hits"] > 0
    sizes.clear()
    clf = _text_clf(bert_dir, freeze=False, max_epochs=2).fit(X, y)
    assert sum(sizes) == 2 * len(X)  # not frozen: every epoch runs the backbone
    clf.predict(X)
    assert sum(sizes) == 3 * len(X)


def test_vocabulary_mismatch_and_wrong_kind(bert_dir, resnet_dir):
    X, y = _text_frame()
    bad = np.full((len(X), 2, 4), 1, dtype=np.int64)
    bad[:, 0] = 99  # ids outside the 15-word vocabulary
    clf = MultimodalClassifier(encoders={"t": Pretrained(bert_dir)}, max_epochs=1, verbose=0)
    with pytest.raises(ValueError, match="outside the model's vocabulary"):
        clf.fit({"t": bad}, y)
    with pytest.raises(ValueError, match="reads images"):
        MultimodalClassifier(encoders={"t": Pretrained(resnet_dir)}, verbose=0).fit({"t": bad}, y)
    with pytest.raises(ValueError, match="source"):
        MultimodalClassifier(encoders={"t": Pretrained(bert_dir, source="keras")}, verbose=0).fit({"t": bad}, y)


def test_offline_names_never_download(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert local_files_only("some-org/some-model")
    with pytest.raises(ValueError, match="offline"):
        PretrainedTokenizer("skmm-test/not-a-cached-model").fit(["good"])
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert local_files_only(tmp_path) and not local_files_only("some-org/some-model")


# -- images and audio ------------------------------------------------------------
def _images(n=16, size=16, seed=0):
    """Reddish or bluish noise: the colour gives the class."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    images = rng.rand(n, size, size, 3).astype(np.float32) * 0.5
    for i, label in enumerate(y):
        images[i, :, :, 2 * label] += 0.5
    return pd.DataFrame({"photo": list(images)}), y


@pytest.mark.parametrize("config", ["resnet", "vit", "convnext", "clip"])
def test_image_backbones(config, tmp_path_factory, resnet_dir, vit_dir):
    folder = {
        "resnet": lambda: resnet_dir,
        "vit": lambda: vit_dir,
        "convnext": lambda: _vision_dir(tmp_path_factory, "convnext", transformers.ConvNextConfig(
            hidden_sizes=[8, 16], depths=[1, 1], num_stages=2)),
        "clip": lambda: _vision_dir(tmp_path_factory, "clip", transformers.CLIPVisionConfig(
            image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
            intermediate_size=32)),
    }[config]()
    X, y = _images()
    # 16 x 16 images: ViT and CLIP (32 x 32 models) get them resized.
    prep = ModalityTransformer([("photo", ImageLoader(size=(16, 16), normalize=False), "photo")])
    clf = MultimodalClassifier(prep, encoders={"photo": Pretrained(folder)}, max_epochs=25, lr=1e-2,
                               random_state=0, verbose=0).fit(X, y)
    assert clf.score(X, y) >= 0.9
    encoder = clf.net_.module_.encoders["photo"]
    states, mask = encoder.encode_steps(torch.rand(2, 3, 16, 16))
    assert states.shape[0] == 2 and states.shape[2] == encoder.step_dim and mask.all()


def test_image_scale_is_checked(resnet_dir):
    X, y = _images()
    prep = ModalityTransformer([("photo", ImageLoader(size=(16, 16)), "photo")])  # standardised
    clf = MultimodalClassifier(prep, encoders={"photo": Pretrained(resnet_dir)}, max_epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"ImageLoader\(normalize=False\)"):
        clf.fit(X, y)
    clf.set_params(encoders__photo__normalize=False).fit(X, y)  # already standardised: taken as is


def test_text_and_image_cross_attention(bert_dir, vit_dir):
    X, y = _text_frame(16)
    images, _ = _images(16)
    X["photo"] = images["photo"]
    prep = ModalityTransformer([
        ("text", PretrainedTokenizer(bert_dir, max_len=12), "review"),
        ("photo", ImageLoader(size=(32, 32), normalize=False), "photo"),
    ])
    clf = MultimodalClassifier(
        prep, encoders={"text": Pretrained(bert_dir), "photo": Pretrained(vit_dir, freeze=1)},
        fusion="cross_attention", max_epochs=10, lr=1e-2, random_state=0, verbose=0,
    ).fit(X, y)
    assert clf.predict_proba(X).shape == (16, 2)


def test_audio_backbone_on_raw_waveforms(tmp_path_factory):
    folder = _vision_dir(tmp_path_factory, "wav2vec2", transformers.Wav2Vec2Config(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2))
    rng = np.random.RandomState(0)
    y = np.arange(16) % 2
    t = np.arange(1600) / 8000
    waves = np.stack([np.sin(2 * np.pi * (200 + 600 * label) * t) for label in y]) + rng.normal(0, 0.05, (16, 1600))
    reg = MultimodalRegressor(encoders={"wave": Pretrained(folder)}, max_epochs=2, verbose=0, random_state=0)
    reg.fit({"wave": waves.astype(np.float32)}, y.astype(float))
    assert reg.predict({"wave": waves.astype(np.float32)}).shape == (16,)
    assert len(find_blocks(reg.net_.module_.encoders["wave"].backbone.model)) == 1


# -- timm and torchvision: their wheels do not load beside this torch ----------
def test_timm_loads_from_a_weights_file(tmp_path):
    timm = pytest.importorskip("timm", reason="timm is not installed or does not load here")
    model = timm.create_model("resnet18", pretrained=False, num_classes=0)
    torch.save(model.state_dict(), tmp_path / "w.pt")
    X, y = _images()
    clf = MultimodalClassifier(
        ModalityTransformer([("photo", ImageLoader(size=(32, 32), normalize=False), "photo")]),
        encoders={"photo": Pretrained("resnet18", source="timm", weights=tmp_path / "w.pt")},
        max_epochs=1, verbose=0).fit(X, y)
    assert clf.predict(X).shape == (16,)


def test_torchvision_loads_from_a_weights_file(tmp_path):
    torchvision = pytest.importorskip("torchvision", reason="torchvision is not installed or does not load here")
    torch.save(torchvision.models.resnet18().state_dict(), tmp_path / "w.pt")
    X, y = _images()
    clf = MultimodalClassifier(
        ModalityTransformer([("photo", ImageLoader(size=(32, 32), normalize=False), "photo")]),
        encoders={"photo": Pretrained("resnet18", source="torchvision", weights=tmp_path / "w.pt", freeze=1)},
        max_epochs=1, verbose=0).fit(X, y)
    assert clf.predict(X).shape == (16,)


def test_skmm_imports_without_transformers():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['transformers'] = None\n"
        "import skmm, skmm.encoders, skmm.preprocessing\n"
        "try:\n"
        "    skmm.preprocessing.PretrainedTokenizer('x').fit(['a'])\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'skmm[pretrained]'" in out


def test_frozen_then_fine_tuned_with_warm_start(bert_dir):
    """The transfer recipe: frozen stage 1, then stage 2 fine-tunes from it."""
    X, y = _text_frame()
    stage1 = _text_clf(bert_dir, freeze=True, max_epochs=5).fit(X, y)
    stage2 = _text_clf(bert_dir, freeze=False, max_epochs=3, lr=1e-3, warm_start_from=stage1).fit(X, y)
    assert stage2.warm_start_report_["loaded"] == ["encoders.text"]
    # A frozen encoder warm-started from the fine-tuned one computes with the
    # loaded weights: its cached outputs are keyed by them, not the saved model's.
    stage3 = _text_clf(bert_dir, freeze=True, max_epochs=1, lr=1e-12, warm_start_from=stage2).fit(X, y)
    data = stage2.preprocessor_.transform(X)["text"]
    x = torch.as_tensor(data)
    with torch.no_grad():
        fine = stage2.net_.module_.encoders["text"].eval().backbone_output(x, "pooled")
        frozen = stage3.net_.module_.encoders["text"].backbone_output(x, "pooled")
        saved = stage1.net_.module_.encoders["text"].backbone_output(x, "pooled")
    torch.testing.assert_close(frozen, fine)
    assert not torch.allclose(frozen, saved)


def test_tokenized_text_needs_its_model(bert_dir):
    X, y = _text_frame()
    clf = MultimodalClassifier(
        ModalityTransformer([("text", PretrainedTokenizer(bert_dir, max_len=12), "review")]), verbose=0)
    with pytest.raises(ValueError, match=r"encoders=\{'text': Pretrained"):
        clf.fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_frozen_pretrained_on_cuda(bert_dir):
    X, y = _text_frame()
    gpu = _text_clf(bert_dir, device="cuda").fit(X, y)
    assert all(p.is_cuda for p in gpu.net_.module_.parameters())
    cpu = _text_clf(bert_dir).fit(X, y)
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=0.1)


# -- the timm and torchvision loading paths, against stand-ins of their APIs ----
class _TinyResNet(torch.nn.Module):
    """torchvision's ResNet layout: stem, layer1..layer2, pooling, fc."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.layer1 = torch.nn.Sequential(torch.nn.Conv2d(4, 4, 3, padding=1), torch.nn.ReLU())
        self.layer2 = torch.nn.Sequential(torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.ReLU())
        self.fc = torch.nn.Linear(6, 1000)

    def forward(self, x):
        return self.fc(self.layer2(self.layer1(self.conv1(x))).mean((2, 3)))


class _TinyTimm(_TinyResNet):
    """timm's interface: forward_features, forward_head(pre_logits=True), pretrained_cfg."""

    pretrained_cfg = {"mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25), "input_size": (3, 20, 20)}

    def forward_features(self, x):
        return self.layer2(self.layer1(self.conv1(x)))

    def forward_head(self, x, pre_logits=False):
        return x.mean((2, 3))


def _fake_library(monkeypatch, name, **attributes):
    import sys
    import types

    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def test_torchvision_path_with_a_weights_file(monkeypatch, tmp_path):
    import types

    calls = []

    def get_model(name, weights):
        calls.append((name, weights))
        return _TinyResNet()

    _fake_library(monkeypatch, "torchvision", models=types.SimpleNamespace(get_model=get_model))
    torch.manual_seed(1)
    trained = _TinyResNet()
    torch.save(trained.state_dict(), tmp_path / "w.pt")
    X, y = _images()
    prep = ModalityTransformer([("photo", ImageLoader(size=(16, 16), normalize=False), "photo")])
    clf = MultimodalClassifier(
        prep, encoders={"photo": Pretrained("resnet18", source="torchvision", weights=tmp_path / "w.pt", freeze=1)},
        max_epochs=2, verbose=0, random_state=0).fit(X, y)
    assert calls[0] == ("resnet18", None)  # a weights file: no published weights asked for
    model = clf.net_.module_.encoders["photo"].backbone.model
    assert isinstance(model.fc, torch.nn.Identity)  # the classifier is dropped
    assert torch.equal(model.conv1.weight, trained.conv1.weight)  # frozen, from the file
    assert not torch.equal(model.layer2[0].weight, trained.layer2[0].weight)  # the last block trained
    with pytest.raises(ValueError, match="does not exist"):
        clf.set_params(encoders__photo__weights=tmp_path / "none.pt").fit(X, y)


def test_timm_path_uses_its_statistics_and_size(monkeypatch):
    calls = []

    def create_model(name, pretrained, num_classes):
        calls.append((name, pretrained, num_classes))
        return _TinyTimm()

    _fake_library(monkeypatch, "timm", create_model=create_model)
    X, y = _images()
    prep = ModalityTransformer([("photo", ImageLoader(size=(16, 16), normalize=False), "photo")])
    clf = MultimodalClassifier(prep, encoders={"photo": Pretrained("tiny", source="timm")},
                               max_epochs=2, verbose=0, random_state=0).fit(X, y)
    assert calls[0] == ("tiny", True, 0)
    backbone = clf.net_.module_.encoders["photo"].backbone
    assert backbone.image_size == (20, 20) and backbone.mean.flatten().tolist() == [0.5, 0.5, 0.5]
    states, mask = clf.net_.module_.encoders["photo"].encode_steps(torch.rand(2, 3, 16, 16))
    assert states.shape == (2, 400, 6)  # resized to 20 x 20: one step per position


def test_transformers_weights_file_over_the_architecture(bert_dir, tmp_path):
    from safetensors.torch import save_file

    model = transformers.BertModel.from_pretrained(bert_dir)
    state = {k: v + 1.0 if k.endswith("word_embeddings.weight") else v for k, v in model.state_dict().items()}
    save_file({k: v.contiguous() for k, v in state.items()}, tmp_path / "shifted.safetensors")
    info = ModalityInfo("tokenized", (2, 8))
    encoder = Pretrained(bert_dir, weights=tmp_path / "shifted.safetensors").build(info, hidden_size=4, dropout=0.0)
    loaded = encoder.backbone.model.embeddings.word_embeddings.weight
    torch.testing.assert_close(loaded, model.embeddings.word_embeddings.weight + 1.0)
    save_file({"unrelated": torch.zeros(2)}, tmp_path / "other.safetensors")
    with pytest.raises(ValueError, match="does not fit .* missing entries"):
        Pretrained(bert_dir, weights=tmp_path / "other.safetensors").build(info, hidden_size=4, dropout=0.0)
    state["embeddings.word_embeddings.weight"] = torch.zeros(3, 16)
    torch.save(state, tmp_path / "resized.pt")
    with pytest.raises(ValueError, match="does not fit .*word_embeddings"):
        Pretrained(bert_dir, weights=tmp_path / "resized.pt").build(info, hidden_size=4, dropout=0.0)


@pytest.mark.parametrize("estimator", [PretrainedTokenizer("some-model"), Pretrained("some-model")],
                         ids=lambda e: type(e).__name__)
def test_sklearn_api_checks(estimator):
    from tests.cross_cutting.test_sklearn_checks import API_CHECKS

    for check in API_CHECKS:
        check(type(estimator).__name__, estimator)


def test_encoder_sized_on_the_meta_device(bert_dir):
    """A skeleton built under torch.device("meta") (to check a params file) has the real shapes."""
    info = ModalityInfo("tokenized", (2, 8))
    real = Pretrained(bert_dir).build(info, hidden_size=4, dropout=0.0)
    with torch.device("meta"):
        skeleton = Pretrained(bert_dir).build(info, hidden_size=4, dropout=0.0)
    assert {k: v.shape for k, v in skeleton.state_dict().items()} == {k: v.shape for k, v in real.state_dict().items()}


def test_two_tower_clip_gives_the_tower_of_the_modality(tmp_path_factory):
    folder = _vision_dir(tmp_path_factory, "clip_full", transformers.CLIPConfig(
        vision_config=dict(image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=1,
                           num_attention_heads=2, intermediate_size=32),
        text_config=dict(vocab_size=20, hidden_size=12, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=24, bos_token_id=0, eos_token_id=2),
        projection_dim=8))
    image = Pretrained(folder).build(ModalityInfo("image", (3, 32, 32)), hidden_size=4, dropout=0.0)
    text = Pretrained(folder).build(ModalityInfo("tokenized", (2, 6)), hidden_size=4, dropout=0.0)
    assert type(image.backbone.model).__name__.startswith("CLIPVision") and image.step_dim == 16
    assert type(text.backbone.model).__name__.startswith("CLIPText") and text.step_dim == 12
    ids = torch.tensor([[[0, 5, 7, 2, 1, 1], [1, 1, 1, 1, 0, 0]]])
    assert text(ids).shape == (1, 4) and image(torch.rand(1, 3, 32, 32)).shape == (1, 4)


def test_frozen_pretrained_exports_to_onnx(bert_dir, tmp_path):
    pytest.importorskip("onnxruntime")
    from skmm.export import OnnxModel, export_onnx

    X, y = _text_frame()
    clf = _text_clf(bert_dir, max_epochs=3).fit(X, y)
    clf.predict(X)  # fills the feature cache: the traced graph must not bake it in
    export_onnx(clf, tmp_path / "model.onnx")
    data = clf.preprocessor_.transform(X)
    np.testing.assert_allclose(OnnxModel(tmp_path / "model.onnx").predict_proba(data), clf.predict_proba(X),
                               atol=1e-5)

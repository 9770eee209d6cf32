"""A small convolutional network reads digits: Conv2d → ReLU → MaxPool2d, twice, then
a Linear layer, trained with Adam on 12×12 images the package draws itself.

A convolution slides one small filter over the whole image, out[y, x] =
Σ w[c, i, j] · in[c, y + i, x + j] + b: the same weights at every position, so a
stroke is recognised wherever it is. Max-pooling keeps the strongest response in
each 2×2 block, so small shifts do not matter; batch normalisation keeps every
channel's activations centred while training. ``datasets.digits`` places each
glyph at a random position with noise: an MLP on the raw pixels would have to
learn every position separately, a CNN learns each stroke once.

Run:  python examples/11_cnn_digits.py [--quick] [--out DIR]
"""

from __future__ import annotations

import time

import _common
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim, train, viz
from tinygrad_edu.data import DataLoader, datasets

args, out = _common.setup("11_cnn_digits", __doc__.splitlines()[0])
tg.manual_seed(0)

# ---- data: 12×12 digit images, NCHW ----
n_train = 3000 if args.quick else 6000
X, y = datasets.digits(n=n_train + 500)
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
print(
    f"digits: {len(X_train)} training and {len(X_test)} test images of shape "
    f"{X.shape[1:]}"
)

# ---- the network: 12×12 → 6×6 → 3×3 feature maps, then 10 scores ----
model = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3, padding=1),  # 16 filters 3×3: (N, 16, 12, 12)
    nn.ReLU(),
    nn.MaxPool2d(2),  # (N, 16, 6, 6)
    nn.Conv2d(16, 16, kernel_size=3, padding=1),  # (N, 16, 6, 6)
    nn.BatchNorm2d(16),
    nn.ReLU(),
    nn.MaxPool2d(2),  # (N, 16, 3, 3)
    nn.Flatten(),  # (N, 144)
    nn.Linear(16 * 3 * 3, 10),
)
print(model)

opt = optim.Adam(model.parameters(), lr=0.01)
started = time.perf_counter()
history = train.fit(
    model,
    F.cross_entropy,
    opt,
    DataLoader(X_train, y_train, batch_size=64),
    val_loader=DataLoader(X_test, y_test, batch_size=500, shuffle=False),
    epochs=6 if args.quick else 10,
    metrics="accuracy",
    progress=False,
)
seconds = time.perf_counter() - started
model.eval()  # BatchNorm now uses its running statistics
with tg.no_grad():
    predicted = model(tg.Tensor(X_test)).numpy().argmax(axis=1)
test_acc = float(np.mean(predicted == y_test))
print(
    f"trained {len(history)} epochs in {seconds:.1f} s: loss {history.loss[0]:.3f} → "
    f"{history.loss[-1]:.3f}, test accuracy {test_acc:.3f}"
)
wrong = np.flatnonzero(predicted != y_test)

# ---- pictures: the filters, some test digits with their predictions, the curves ----
plt = _common.pyplot()
if plt is not None:
    fig, axes = plt.subplots(2, 8, figsize=(12, 3.4), layout="constrained")
    # the first 8 of the first layer's 16 filters, and 8 test digits (mistakes first)
    for k, ax in enumerate(axes[0]):
        ax.imshow(model[0].weight.data[k, 0], cmap="RdBu_r")
        ax.set(title=f"filter {k}", xticks=[], yticks=[])
    shown = np.concatenate([wrong[:3], np.arange(8)])[:8]
    for ax, i in zip(axes[1], shown):
        ax.imshow(X_test[i, 0], cmap="gray_r")
        colour = "black" if predicted[i] == y_test[i] else "red"
        ax.set_title(f"{y_test[i]} → {predicted[i]}", color=colour)
        ax.set(xticks=[], yticks=[])
    _common.save(fig, out / "filters_and_digits.png")
    viz.plot_history(history, out / "history.png", title="CNN on digits")
    print(f"  wrote {out / 'history.png'}")

# ---- the stated result ----
_common.check(test_acc >= 0.9, f"test accuracy {test_acc:.3f} ≥ 0.90")
_common.check(history.loss[-1] < 0.5 * history.loss[0], "the training loss halved")
_common.done(f"CNN test accuracy {test_acc:.3f} on {len(X_test)} digit images")

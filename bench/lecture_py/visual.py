"""The lecture's Visual helper (visual2.py of the course): one figure per
network, plt.subplot(1, 5, i+1), title '{i+1}-layer', 30 bins over (0, 1),
saved as plot<N>.png instead of sent to the course's page."""
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def Visual(*activation_dicts):
    for n, activations in enumerate(activation_dicts, start=1):
        plt.figure()
        for i, a in activations.items():
            plt.subplot(1, len(activations), i + 1)
            plt.title(str(i + 1) + "-layer")
            plt.hist(a.flatten(), 30, range=(0, 1))
        plt.savefig("plot%d.png" % n)
        plt.close()

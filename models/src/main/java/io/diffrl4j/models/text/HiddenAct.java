package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.diffrl4j.models.nn.Activations;
import io.diffrl4j.core.flow.ScalarMath;
import java.util.ArrayList;
import java.util.List;

/** The feed-forward activations the supported configs name, as transformers' {@code ACT2FN} defines them. */
enum HiddenAct {
    /** Exact (erf) GELU: CLIP-G. */
    GELU(List.of("gelu")) {
        @Override
        NDArray apply(NDArray x) {
            return Activation.gelu(x);
        }
    },
    /** The tanh approximation of GELU: T5 v1.1's {@code gated-gelu}. */
    GELU_TANH(List.of("gelu_new", "gelu_pytorch_tanh")) {
        @Override
        NDArray apply(NDArray x) {
            return Activations.geluTanh(x);
        }
    },
    /** {@code x * sigmoid(1.702 x)}: OpenAI CLIP (CLIP-L). */
    QUICK_GELU(List.of("quick_gelu")) {
        @Override
        NDArray apply(NDArray x) {
            return x.mul(Activation.sigmoid(ScalarMath.mul(x, 1.702)));
        }
    },
    /** {@code max(x, 0)}: the original T5. */
    RELU(List.of("relu")) {
        @Override
        NDArray apply(NDArray x) {
            return Activation.relu(x);
        }
    };

    private final List<String> names;

    HiddenAct(List<String> names) {
        this.names = names;
    }

    /** @param x any shape @return the activation, same shape, in x's manager */
    abstract NDArray apply(NDArray x);

    /**
     * @param field the config field, for the message
     * @param name the transformers name
     * @return the activation
     * @throws IllegalArgumentException naming the field, the value and the supported names
     */
    static HiddenAct of(String field, String name) {
        List<String> all = new ArrayList<>();
        for (HiddenAct a : values()) {
            if (a.names.contains(name)) {
                return a;
            }
            all.addAll(a.names);
        }
        throw new IllegalArgumentException(field + " = \"" + name + "\": must be one of " + all);
    }
}

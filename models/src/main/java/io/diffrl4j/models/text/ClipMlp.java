package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;

/** transformers' {@code CLIPMLP}: {@code fc2(act(fc1(x)))}, the activation from {@code hidden_act}. */
final class ClipMlp extends ModuleBlock {
    private final LoraLinear fc1;
    private final LoraLinear fc2;
    private final HiddenAct act;

    ClipMlp(ClipEncoderShape config) {
        fc1 = module("fc1", new LoraLinear(config.hiddenSize(), config.intermediateSize(), true));
        fc2 = module("fc2", new LoraLinear(config.intermediateSize(), config.hiddenSize(), true));
        act = HiddenAct.of("hidden_act", config.hiddenAct());
    }

    /** @param x (B, T, D) @return (B, T, D), in x's manager */
    NDArray forward(NDArray x) {
        return fc2.forward(act.apply(fc1.forward(x)));
    }
}

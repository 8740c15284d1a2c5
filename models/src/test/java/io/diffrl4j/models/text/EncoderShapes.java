package io.diffrl4j.models.text;

import ai.djl.ndarray.types.Shape;
import java.util.Map;

/** The tensor names and shapes of the text encoders' checkpoints for a config, for tests that write checkpoints. */
public final class EncoderShapes {
    private EncoderShapes() {}

    /** @return CLIPTextModelWithProjection's tensors for {@code config}, by transformers' names */
    public static Map<String, Shape> clipText(ClipTextConfig config) {
        return ClipTextNetwork.shapes(config);
    }

    /** @return T5EncoderModel's tensors for {@code config}, by transformers' names */
    public static Map<String, Shape> t5(T5Config config) {
        return T5Network.shapes(config);
    }
}

package io.diffrl4j.models.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.LatentDecoder;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import io.diffrl4j.core.testing.Fixtures;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The VAE decoder against diffusers' AutoencoderKL on the tiny SD3.5-family fixture, and the pipeline mapping around it. */
class AutoencoderKLReferenceTest {
    static final String CONFIG = "sd3-tiny/vae_config.json";
    static final String WEIGHTS = "sd3-tiny/vae.safetensors";

    static AutoencoderKL tiny(NDManager m, DataType dtype) throws Exception {
        try (WeightSource w = WeightSources.open(Fixtures.file(WEIGHTS))) {
            return AutoencoderKL.load(VaeConfig.fromJson(Fixtures.file(CONFIG)), w, m, dtype);
        }
    }

    static double maxAbs(NDArray a, NDArray b) {
        return a.toType(DataType.FLOAT32, false).sub(b.toType(DataType.FLOAT32, false)).abs().max().getFloat();
    }

    @Test
    void decoderMatchesDiffusers() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = tiny(m, DataType.FLOAT32)) {
            Map<String, NDArray> io = Fixtures.tensors("sd3-tiny/vae_io.safetensors", m);
            NDArray expected = io.get("image");
            for (AttentionBackend backend : new AttentionBackend[] {AttentionBackend.composed(), AttentionBackend.auto()}) {
                vae.setAttentionBackend(backend);
                NDArray out = vae.decodeRaw(io.get("latent"));
                assertEquals(new Shape(1, 3, 8, 12), out.getShape());
                double err = maxAbs(out, expected);
                // Measured: 5.2e-8 (composed), 6.0e-8 (fused); the outputs are O(0.1).
                assertTrue(err <= 1e-4, backend.name() + " max abs error " + err);
            }
        }
    }

    @Test
    void halfPrecisionDecoderStaysCloseToDiffusers() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = tiny(m, DataType.FLOAT16)) {
            assertEquals(DataType.FLOAT16, vae.dtype());
            Map<String, NDArray> io = Fixtures.tensors("sd3-tiny/vae_io.safetensors", m);
            NDArray out = vae.decodeRaw(io.get("latent"));
            // fp32 in, fp32 out: the casts to and from half happen inside.
            assertEquals(DataType.FLOAT32, out.getDataType());
            double err = maxAbs(out, io.get("image"));
            // Measured: 1.3e-4 (half-precision weights and activations).
            assertTrue(err <= 1e-2, "fp16 max abs error " + err);
        }
    }

    @Test
    void pipelineDecodeUnscalesShiftsAndMapsToUnitRange() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = tiny(m, DataType.FLOAT32)) {
            Map<String, NDArray> io = Fixtures.tensors("sd3-tiny/vae_io.safetensors", m);
            // The pipeline's latents for the fixture's z: (z - 0.0609) * 1.5305.
            NDArray latents = io.get("latent").sub(0.0609f).mul(1.5305f);
            LatentDecoder decoder = vae;
            NDArray images = decoder.decode(latents);
            NDArray expected = io.get("image").div(2f).add(0.5f).clip(0f, 1f);
            double err = maxAbs(images, expected);
            // Measured: 6.0e-8 (the diffusers image halved; float rounding of the scaling round trip).
            assertTrue(err <= 1e-4, "max abs error " + err);
            assertTrue(images.min().getFloat() >= 0f && images.max().getFloat() <= 1f);
        }
    }

    @Test
    void slicedDecodeEqualsWholeDecode() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = tiny(m, DataType.FLOAT32)) {
            NDArray latents = new SeededNoise(3).normal(m, new Shape(5, 16, 4, 6));
            NDArray whole = vae.latentsToImages(latents);
            vae.setMaxBatch(2); // slices of 2, 2 and 1
            NDArray sliced = vae.latentsToImages(latents);
            assertEquals(new Shape(5, 3, 8, 12), sliced.getShape());
            // Measured: 6.0e-8 (the convolution kernels oneDNN picks depend on the batch size).
            assertTrue(maxAbs(whole, sliced) <= 1e-6, "max abs difference " + maxAbs(whole, sliced));
            NDArray raw = vae.decodeRaw(latents);
            vae.setMaxBatch(Integer.MAX_VALUE);
            assertTrue(maxAbs(raw, vae.decodeRaw(latents)) <= 1e-6);
        }
    }

    @Test
    void resultsBelongToTheInputsManagerAndNothingElseStays() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = tiny(m, DataType.FLOAT32)) {
            vae.setMaxBatch(1);
            try (NDManager caller = m.newSubManager()) {
                NDArray latents = new SeededNoise(4).normal(caller, new Shape(2, 16, 4, 6));
                vae.decode(latents).close(); // loads the kernels before counting
                int before = m.getManagedArrays().size();
                NDArray images = vae.decode(latents);
                NDArray back = vae.imagesToLatents(images, new SeededNoise(1));
                assertSame(caller, images.getManager());
                assertSame(caller, back.getManager());
                assertEquals(before + 2, m.getManagedArrays().size(), "only the two results were added");
                assertEquals(3, caller.getManagedArrays().size(), "input and results only");
            }
        }
    }

    @Test
    void nothingIsRecordedForABackwardPass() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = tiny(m, DataType.FLOAT32)) {
            NDArray latents = new SeededNoise(5).normal(m, new Shape(1, 16, 4, 6));
            latents.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray images = vae.decode(latents);
                assertFalse(images.hasGradient());
            }
        }
    }
}

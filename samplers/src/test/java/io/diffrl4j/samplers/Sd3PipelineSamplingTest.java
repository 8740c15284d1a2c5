package io.diffrl4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.FlowModel;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.models.sd3.Sd3PromptEncoder;
import io.diffrl4j.models.sd3.StableDiffusion3Folder;
import io.diffrl4j.models.testing.TinyModels;
import io.diffrl4j.models.testing.TinySd3Folder;
import io.diffrl4j.models.vae.AutoencoderKL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sampling a tiny SD3.5 folder loaded through {@link StableDiffusion3Folder}: the sampler's latents
 * at every step equal a loop written from diffusers' {@code StableDiffusion3Pipeline.__call__} and
 * {@code FlowMatchEulerDiscreteScheduler} (set_timesteps with the shift applied to a grid that
 * already ends at the shifted sigma_min, CFG as one batch [negative; positive], {@code timestep =
 * 1000 sigma}, {@code x + (sigma_next - sigma) v} in fp32), given the same initial latents and
 * embeddings. The transformer itself matches diffusers' output on the {@code sd3-tiny} fixture
 * (MmditReferenceTest); this pins the loop around it. The final latents decode to an image.
 */
class Sd3PipelineSamplingTest {
    @TempDir
    Path tmp;

    @Test
    void latentsAtEveryStepEqualDiffusersLoopAndDecodeToAnImage() throws Exception {
        StableDiffusion3Folder folder = StableDiffusion3Folder.open(TinySd3Folder.write(tmp.resolve("sd"), 4));
        int steps = 6;
        double guidance = 4.5;
        Shape latent = new Shape(16, 8, 12); // a non-square latent, 4 x 6 patches
        try (NDManager m = NDManager.newBaseManager();
                MmditModel model = folder.loadTransformer(TinyModels.lora(), m, DataType.FLOAT32);
                AutoencoderKL vae = folder.loadVae(m, DataType.FLOAT32);
                Sd3PromptEncoder text = Sd3PromptEncoder.builder(folder).build(m)) {
            List<String> prompts = List.of("a photo of a dog", "photography");
            Conditioning cond = text.encode(prompts, m);
            Conditioning uncond = text.unconditional(2, m);
            List<NDArray> seen = new ArrayList<>();
            FlowModel recording = (x, sigma, c) -> {
                // CFG runs [uncond; cond] as one batch of 2B: the first B rows are the latents of the step
                seen.add(x.get("0:2").duplicate());
                seen.get(seen.size() - 1).attach(m);
                return model.velocity(x, sigma, c);
            };
            TrajectorySampler sampler = TrajectorySampler.builder().optSteps(steps).optShift(folder.shift())
                    .optGuidanceScale(guidance).optStochasticStep(new EulerStep()).optWindow(SdeWindow.none()).build();
            Rollout r = sampler.sample(m, recording, cond, uncond, 1, latent, new SeededNoise(17));
            assertEquals(steps, seen.size());

            // diffusers' loop, from the same initial latents
            double[] sigmas = diffusersSigmas(steps, folder.shift());
            NDArray x = seen.get(0).duplicate();
            double maxError = 0;
            for (int i = 0; i < steps; i++) {
                maxError = Math.max(maxError, x.sub(seen.get(i)).abs().max().getFloat());
                try (NDManager s = m.newSubManager()) {
                    NDArray in = NDArrays.concat(new NDList(x, x), 0);
                    in.attach(s);
                    NDArray sigma = s.full(new Shape(4), (float) sigmas[i]);
                    Conditioning both = Conditioning.of(
                            NDArrays.concat(new NDList(uncond.sequence(), cond.sequence()), 0),
                            NDArrays.concat(new NDList(uncond.pooled(), cond.pooled()), 0));
                    NDList halves = model.velocity(in, sigma, both).split(2, 0);
                    NDArray v = halves.get(0).add(halves.get(1).sub(halves.get(0)).mul((float) guidance));
                    NDArray next = x.add(v.mul((float) (sigmas[i + 1] - sigmas[i])));
                    next.attach(m);
                    both.sequence().close();
                    both.pooled().close();
                    x = next;
                }
            }
            maxError = Math.max(maxError, x.sub(r.samples()).abs().max().getFloat());
            // The same float32 operations in the same order: measured 0 (equal to the last bit) here.
            assertEquals(0.0, maxError, 1e-6, "max error over all steps " + maxError);

            ImageBatch image = ImageBatch.fromArray(vae.decode(r.samples()));
            assertEquals(2, image.count());
            assertEquals(3, image.channels());
            assertEquals(16, image.height()); // the tiny VAE upsamples by 2
            assertEquals(24, image.width());
            for (float p : image.image(0)) {
                assertTrue(p >= 0 && p <= 1);
            }
        }
    }

    /**
     * {@code FlowMatchEulerDiscreteScheduler(shift=s).set_timesteps(n)}: sigmas of the training grid
     * are shifted at construction, so sigma_min = shift(1/1000); set_timesteps spaces n points from
     * 1 to that sigma_min, shifts them again, and appends 0.
     */
    static double[] diffusersSigmas(int n, double shift) {
        double sigmaMin = shifted(1.0 / 1000, shift);
        double[] out = new double[n + 1];
        for (int i = 0; i < n; i++) {
            double t = 1000.0 + (sigmaMin * 1000 - 1000.0) * i / (n - 1); // np.linspace(1000, sigma_min * 1000, n)
            out[i] = shifted(t / 1000, shift);
        }
        return out;
    }

    private static double shifted(double sigma, double shift) {
        return shift * sigma / (1 + (shift - 1) * sigma);
    }
}

package io.diffrl4j.examples.shapes;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.samplers.EulerStep;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples a Shapes model on a fixed prompt set with fixed seeds and scores the images with the
 * checker: the numbers the pass-rate band, the learning curves and the before/after grids use.
 * The default evaluation sampler is Euler ODE, 20 steps, shift 1, CFG 3.
 */
public final class ShapesEvaluation {
    /** The evaluation sampler's guidance scale. */
    public static final double GUIDANCE = 3.0;

    /**
     * @param images the decoded images, prompt order (imagesPerPrompt per prompt)
     * @param prompts one prompt per image
     * @param results the checker's verdict per image
     */
    public record Result(ImageBatch images, List<Prompt> prompts, List<GenEvalResult> results) {
        /** @return the fraction of images passing GenEval's strict rule */
        public double strictRate() {
            return results.stream().filter(GenEvalResult::strict).count() / (double) results.size();
        }

        /** @return the mean partial score */
        public double meanScore() {
            return results.stream().mapToDouble(GenEvalResult::score).average().orElse(Double.NaN);
        }

        /** @return the strict pass rate of each task tag present, in {@link PromptGrammar#TAGS} order */
        public Map<String, Double> strictRateByTag() {
            Map<String, double[]> counts = new LinkedHashMap<>();
            PromptGrammar.TAGS.forEach(t -> counts.put(t, new double[2]));
            for (int i = 0; i < results.size(); i++) {
                double[] c = counts.get(String.valueOf(prompts.get(i).metadata().get("tag")));
                if (c == null) {
                    throw new IllegalStateException("prompt \"" + prompts.get(i).text() + "\" has no GenEval task tag");
                }
                c[0] += results.get(i).strict() ? 1 : 0;
                c[1]++;
            }
            Map<String, Double> out = new LinkedHashMap<>();
            counts.forEach((t, c) -> {
                if (c[1] > 0) {
                    out.put(t, c[0] / c[1]);
                }
            });
            return out;
        }

        /**
         * @return GenEval's "overall": the mean over task tags of each tag's strict pass rate, so
         *     that a tag with many prompts (colour attribution has 18 of the 33 evaluation
         *     prompts) does not outweigh the others
         */
        public double genevalOverall() {
            return strictRateByTag().values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }
    }

    private ShapesEvaluation() {}

    /** @return the default evaluation sampler */
    public static TrajectorySampler sampler() {
        return TrajectorySampler.builder().optSteps(20).optShift(1.0).optGuidanceScale(GUIDANCE)
                .optStochasticStep(new EulerStep()).optWindow(SdeWindow.none()).build();
    }

    /**
     * @param model the model, with the adapter set to evaluate already active (or none: the base)
     * @param prompts the prompts
     * @param imagesPerPrompt images per prompt
     * @param seed fixes the initial noise
     * @return images and verdicts
     */
    public static Result run(ShapesModel model, List<Prompt> prompts, int imagesPerPrompt, long seed) {
        ShapesChecker checker = new ShapesChecker();
        try (NDManager m = NDManager.newBaseManager()) {
            List<String> texts = prompts.stream().map(Prompt::text).toList();
            Conditioning cond = model.textEncoder().encode(texts, m);
            Conditioning uncond = model.textEncoder().unconditional(texts.size(), m);
            Rollout r = sampler().sample(m, model.transformer(), cond, uncond, imagesPerPrompt, ShapesModel.sampleShape(),
                    new SeededNoise(seed));
            ImageBatch images = ImageBatch.fromArray(ShapesModel.decoder().decode(r.samples()));
            List<Prompt> perImage = new ArrayList<>();
            prompts.forEach(p -> perImage.addAll(Collections.nCopies(imagesPerPrompt, p)));
            return new Result(images, perImage, checker.evaluate(images, perImage));
        }
    }
}

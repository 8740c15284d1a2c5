package io.diffrl4j.rewards.ocr;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.rewards.image.ImageCodec;
import java.awt.image.BufferedImage;
import java.io.Closeable;
import java.util.List;

/**
 * The OCR reward (docs/REWARDS.md, "OCR"): how closely the text an {@link OcrEngine} reads in each image
 * matches the text quoted in its prompt, in [0, 1] by {@link OcrRule}. The recognised text is the
 * concatenation of the lines read with confidence above 0. Named {@code "ocr"}.
 *
 * <p>The reference implementations use PaddleOCR; with Tesseract behind this reward absolute
 * numbers differ from theirs, so comparisons must say which engine scored them. Thread-safe when
 * its engine is (as {@link TesseractEngine} is). Closing the reward closes the engine.
 */
public final class OcrReward implements RewardFunction, Closeable {
    private final OcrEngine engine;

    /** @param engine the engine that reads the images; owned (closed) by this reward */
    public OcrReward(OcrEngine engine) {
        if (engine == null) {
            throw new IllegalArgumentException("engine must not be null");
        }
        this.engine = engine;
    }

    /**
     * @return the reward with a default {@link TesseractEngine} (English model from
     *     {@code TESSDATA_PREFIX} or {@link TesseractEngine#DEFAULT_TESSDATA})
     * @throws IllegalStateException when the model is not installed
     */
    public static OcrReward tesseract() {
        return new OcrReward(TesseractEngine.builder().build());
    }

    /** @return the engine behind the reward */
    public OcrEngine engine() {
        return engine;
    }

    @Override
    public String name() {
        return "ocr";
    }

    @Override
    public double[] score(ImageBatch images, List<Prompt> prompts) {
        if (prompts.size() != images.count()) {
            throw new IllegalArgumentException("got " + prompts.size() + " prompts for " + images.count() + " images");
        }
        double[] scores = new double[images.count()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = score(ImageCodec.toRgb(images, i), prompts.get(i).text());
        }
        return scores;
    }

    /**
     * @param image one image
     * @param prompt its prompt
     * @return the reward of that image, in [0, 1]
     */
    public double score(BufferedImage image, String prompt) {
        // An empty target scores 0 whatever the image holds: no need to run the engine.
        if (OcrRule.normalise(OcrRule.target(prompt)).isEmpty()) {
            return 0;
        }
        return OcrRule.score(prompt, OcrRule.recognised(engine.read(image)));
    }

    /** Closes the engine. */
    @Override
    public void close() {
        engine.close();
    }

    @Override
    public String toString() {
        return "OcrReward{engine=" + engine + "}";
    }
}

package io.diffrl4j.examples.shapes.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.examples.shapes.ShapesDataset;
import io.diffrl4j.examples.shapes.ShapesExample;
import io.diffrl4j.examples.shapes.ShapesRenderer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;

/** Shared inputs of the reward tests: ground-truth renders and damaged copies of them. */
final class RewardTestData {
    static final int S = ShapesRenderer.SIZE;
    static final int N = 200;

    private RewardTestData() {}

    /** @return N tag-balanced ground-truth pairs */
    static List<ShapesExample> examples() {
        return new ShapesDataset().examples(4242, N);
    }

    static ImageBatch clean() {
        return ShapesDataset.render(examples());
    }

    static List<Prompt> prompts() {
        return ShapesDataset.prompts(examples());
    }

    /** @return every image of the batch passed through {@code f} */
    static ImageBatch map(ImageBatch images, UnaryOperator<float[]> f) {
        int size = images.channels() * images.height() * images.width();
        float[] data = new float[images.count() * size];
        for (int i = 0; i < images.count(); i++) {
            System.arraycopy(f.apply(images.image(i)), 0, data, i * size, size);
        }
        return new ImageBatch(data, images.count(), images.channels(), images.height(), images.width());
    }

    static ImageBatch blurred(double sigma) {
        return map(clean(), im -> ImageCorruptions.blur(im, 3, S, S, sigma));
    }

    static ImageBatch noisy(double sigma) {
        SplittableRandom rng = new SplittableRandom(17);
        return map(clean(), im -> ImageCorruptions.noise(im, sigma, rng));
    }

    static ImageBatch uniformNoise() {
        SplittableRandom rng = new SplittableRandom(18);
        return map(clean(), im -> ImageCorruptions.uniform(im.length, rng));
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /**
     * The ground-truth renders score at least 0.95 and within {@code tolerance} of 1, and the reward is called
     * {@code name}.
     */
    static void assertCleanScoresOne(PromptFreeReward reward, String name, double tolerance) {
        double[] s = reward.score(clean(), prompts());
        for (double v : s) {
            assertTrue(v >= 0.95, "clean render scored " + v);
            assertEquals(1.0, v, tolerance);
        }
        assertEquals(name, reward.name());
    }

    /** Scoring {@code images} concurrently gives exactly the single-threaded scores. */
    static void assertThreadSafe(PromptFreeReward reward, ImageBatch images) throws Exception {
        double[] expected = reward.score(images);
        for (double[] got : scoreConcurrently(() -> reward.score(images))) {
            assertArrayEquals(expected, got);
        }
    }

    /** @return the results of 8 calls of {@code score} run concurrently on 4 threads, in submission order */
    static List<double[]> scoreConcurrently(Callable<double[]> score) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<double[]>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                futures.add(pool.submit(score));
            }
            List<double[]> out = new ArrayList<>();
            for (Future<double[]> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdown();
        }
    }
}

package io.diffrl4j.core.testing;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import java.util.List;
import java.util.function.Function;

/** Hand-made rewards for tests. */
public final class TestRewards {
    private TestRewards() {}

    /**
     * @param name the reward's name
     * @param scores what every call returns (a copy)
     * @return the reward
     */
    public static RewardFunction fixed(String name, double... scores) {
        return of(name, images -> scores.clone());
    }

    /**
     * @param name the reward's name
     * @param score the scores of a batch (may throw to simulate a failing reward)
     * @return the reward
     */
    public static RewardFunction of(String name, Function<ImageBatch, double[]> score) {
        return new RewardFunction() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public double[] score(ImageBatch images, List<Prompt> prompts) {
                return score.apply(images);
            }
        };
    }
}

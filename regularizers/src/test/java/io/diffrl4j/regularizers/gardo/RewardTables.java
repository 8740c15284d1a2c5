package io.diffrl4j.regularizers.gardo;

import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Hand-made reward tables: two prompts of three images, one proxy and two auxiliary rewards. */
public final class RewardTables {
    static final double[] PROXY = {0.9, 0.5, 0.1, 0.3, 0.8, 0.6};
    static final double[] AUX1 = {0.1, 0.5, 0.9, 0.3, 0.6, 0.8};
    static final double[] AUX2 = {0.2, 0.6, 0.4, 0.1, 0.9, 0.7};

    private RewardTables() {}

    public static RewardBatch batch() {
        Map<String, double[]> scores = new LinkedHashMap<>();
        scores.put("proxy", PROXY);
        scores.put("aux1", AUX1);
        scores.put("aux2", AUX2);
        return new RewardBatch("proxy", scores, null, prompts(2, 3), 3);
    }

    public static RewardBatch of(double[] proxy, double[] aux, int groupSize) {
        Map<String, double[]> scores = new LinkedHashMap<>();
        scores.put("proxy", proxy);
        scores.put("aux", aux);
        return new RewardBatch("proxy", scores, null, prompts(proxy.length / groupSize, groupSize), groupSize);
    }

    public static List<Prompt> prompts(int groups, int groupSize) {
        List<Prompt> out = new ArrayList<>();
        for (int p = 0; p < groups; p++) {
            for (int j = 0; j < groupSize; j++) {
                out.add(Prompt.of("prompt " + p));
            }
        }
        return out;
    }
}

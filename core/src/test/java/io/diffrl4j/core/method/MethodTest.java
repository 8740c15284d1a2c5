package io.diffrl4j.core.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.PolicyObjective;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.sampling.Sampler;
import io.diffrl4j.core.schedule.AdapterSchedule;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.schedule.PolicyEma;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a method's strategies are replaced, added and removed by their state keys. */
class MethodTest {
    // Nothing here samples or trains: the method only holds these.
    private static final Sampler SAMPLER = (Sampler) java.lang.reflect.Proxy.newProxyInstance(
            Sampler.class.getClassLoader(), new Class<?>[] {Sampler.class}, (p, m, a) -> {
                if (m.isDefault()) {
                    return java.lang.reflect.InvocationHandler.invokeDefault(p, m, a);
                }
                throw new UnsupportedOperationException(m.getName());
            });
    private static final PolicyObjective OBJECTIVE = (PolicyObjective) java.lang.reflect.Proxy.newProxyInstance(
            PolicyObjective.class.getClassLoader(), new Class<?>[] {PolicyObjective.class}, (p, m, a) -> {
                if (m.isDefault()) {
                    return java.lang.reflect.InvocationHandler.invokeDefault(p, m, a);
                }
                throw new UnsupportedOperationException(m.getName());
            });

    private static Method method(List<Regularizer> regularizers, List<AdapterSchedule> schedules) {
        return Method.builder("m", SAMPLER, rewards -> rewards.proxy(), OBJECTIVE).optRegularizers(regularizers)
                .optSchedules(schedules).build();
    }

    private static ReferenceKl kl(double beta) {
        return new ReferenceKl(null, null, KlForm.CODE, KlStrength.constant(beta));
    }

    @Test
    void aStrategyWithAKnownKeyReplacesItsNamesakeAndANewOneIsAdded() {
        EmaSchedule old = new EmaSchedule(AdapterRoles.OLD, new EmaDecay(0, 0.5, 0, 0.5));
        Method m = method(List.of(kl(0.04)), List.of(old, PolicyEma.flowGrpo()));
        EmaSchedule slower = new EmaSchedule(AdapterRoles.OLD, new EmaDecay(0, 0.9, 0, 0.9));
        Method replaced = m.withSchedule(slower);
        assertEquals(2, replaced.schedules().size());
        assertSame(slower, replaced.schedules().get(0), "in its namesake's place");
        EmaSchedule extra = new EmaSchedule("slow", new EmaDecay(0, 0.99, 0, 0.99));
        assertSame(extra, m.withSchedule(extra).schedules().get(2));
        assertEquals(List.of(AdapterRoles.OLD, AdapterRoles.EMA, "slow"), m.withSchedule(extra).snapshots());

        ReferenceKl stronger = kl(0.5);
        assertEquals(List.of(stronger), m.withRegularizer(stronger).regularizers());
        Regularizer other = new ReferenceKl("frozen", null, KlForm.CODE, KlStrength.constant(0.1)) {
            @Override
            public String name() {
                return "kl_frozen";
            }

            @Override
            public ReferenceKl with(String reference, KlStrength strength) {
                return this;
            }
        };
        assertEquals(2, m.withRegularizer(other).regularizers().size());
        assertEquals("renamed", m.withName("renamed").name());
        assertEquals(AdapterRoles.OLD, m.withSamplingSet(AdapterRoles.OLD).samplingSet());
    }

    @Test
    void withoutRemovesByKeyAndNamesTheKeysThereAreWhenNoneMatches() {
        Method m = method(List.of(kl(0.04)), List.of(PolicyEma.flowGrpo()));
        assertEquals(List.of(), m.without(PolicyEma.STATE_KEY).schedules());
        assertEquals(List.of(), m.without("regularizer:kl").regularizers());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.without("ema:old"));
        assertEquals("method m has no schedule or regularizer 'ema:old'; it has [policy_ema:ema, regularizer:kl]",
                e.getMessage());
    }

    @Test
    void theKlBetaChangesInEveryKlAndKeepsItsForm() {
        Method m = method(List.of(new ReferenceKl(AdapterRoles.REFERENCE, 1.0, KlForm.PAPER, KlStrength.constant(0.04))),
                List.of());
        ReferenceKl kl = assertInstanceOf(ReferenceKl.class, m.withKlBeta(0.2).regularizers().get(0));
        assertEquals(new KlStrength.Constant(0.2), kl.strength());
        assertEquals(KlForm.PAPER, kl.form());
        assertEquals(AdapterRoles.REFERENCE, kl.reference());
        assertEquals(1.0, kl.guidance());
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> m.withKlBeta(bad)).getMessage()
                    .startsWith("KL beta must be finite and > 0"));
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> method(List.of(), List.of()).withKlBeta(0.1))
                .getMessage().contains("has no KL regularizer"));
        // A strength with no single beta, or a subclass that would lose itself in a copy, refuses.
        Method lambda = method(List.of(new ReferenceKl(null, null, KlForm.CODE, batch -> null)), List.of());
        assertThrows(UnsupportedOperationException.class, () -> lambda.withKlBeta(0.1));
        Method subclass = method(List.of(new ReferenceKl(null, null, KlForm.CODE, KlStrength.constant(0.04)) {}),
                List.of());
        assertTrue(assertThrows(UnsupportedOperationException.class, () -> subclass.withKlBeta(0.1)).getMessage()
                .contains("without overriding with(reference, strength)"));
    }

    @Test
    void twoStrategiesUnderOneKeyAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> method(List.of(kl(0.04), kl(0.1)), List.of()));
    }
}

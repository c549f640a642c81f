package dev.glisten.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProblemsTest {

    @Test
    void everyProblemIsCountedAndTheFirstFiveKept() {
        Problems problems = new Problems();
        for (int i = 1; i <= 7; i++) {
            problems.add("problem " + i);
        }
        assertThat(problems.count()).isEqualTo(7);
        assertThat(problems.first()).containsExactly("problem 1", "problem 2", "problem 3", "problem 4", "problem 5");
    }

    @Test
    void addingAnotherAddsItsCountAndItsKeptProblemsWhileThereIsRoom() {
        Problems total = new Problems();
        total.add("mine 1");
        total.add("mine 2");
        Problems other = new Problems();
        for (int i = 1; i <= 6; i++) {
            other.add("theirs " + i);
        }
        total.addAll(other);
        assertThat(total.count()).isEqualTo(8);
        assertThat(total.first()).containsExactly("mine 1", "mine 2", "theirs 1", "theirs 2", "theirs 3");
    }
}

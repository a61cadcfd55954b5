package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard and playground at {@code /} in a real browser (Debian's headless {@code chromium} with
 * {@code chromium-driver}; {@code .ci/run} installs them): stream a chat, see who answered and what it
 * cost, and watch the dashboard's counters move.
 */
class DashboardBrowserTest extends ObservedServerFixture {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void openBrowser() {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER), "chromium and chromium-driver are not installed");
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(90));
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) browser.quit();
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private void ask(String model, String prompt, int maxTokens) {
        wait.until(d -> d.findElements(By.cssSelector("#model option[value='" + model + "']")).size() == 1);
        new Select(browser.findElement(By.id("model"))).selectByValue(model);
        var p = browser.findElement(By.id("prompt"));
        p.clear();
        p.sendKeys(prompt);
        var m = browser.findElement(By.id("max-tokens"));
        m.clear();
        m.sendKeys(Integer.toString(maxTokens));
        browser.findElement(By.id("send")).click();
        wait.until(d -> text("status").equals("done") || d.findElement(By.id("status")).getAttribute("class").contains("error"));
        assertThat(text("status")).isEqualTo("done");
    }

    @Test
    void aChatStreamsInThePlaygroundAndTheDashboardCountsIt() {
        browser.get(server.baseUrl() + "/");
        assertThat(browser.getTitle()).isEqualTo("Backstop");

        ask("smart", "Say hello", 16);
        assertThat(text("answer")).isEqualTo("Hello from the remote model");
        assertThat(text("provider")).isEqualTo("up:gpt-x");
        assertThat(text("tokens")).isEqualTo("3 in / 5 out");
        assertThat(text("cost")).isEqualTo("$0.00005600");

        ask("stories", "Once upon a time", 30);
        assertThat(text("answer")).startsWith(", there was a little girl named Lily.");
        assertThat(text("provider")).isEqualTo("local:stories");

        // the dashboard polls /stats: its counters move to the two answers
        wait.until(d -> text("stat-requests").equals("2"));
        assertThat(Long.parseLong(text("stat-tokens-out"))).isEqualTo(5 + 30);
        assertThat(Double.parseDouble(text("stat-cost").substring(1))).isGreaterThan(0.000056); // the remote answer plus the local CPU time
        assertThat(text("stat-ttft")).matches("[0-9.]+ / [0-9.]+ / [0-9.]+");
        assertThat(text("providers")).contains("up closed", "down closed");
        assertThat(text("models")).contains("stories");

        String shot = System.getProperty("backstop.screenshot"); // the README's picture: -Dbackstop.screenshot=docs/dashboard.png
        if (shot != null) {
            wait.until(d -> !text("stat-tps").startsWith("0.0")); // a second poll has drawn the charts
            try {
                Files.write(Path.of(shot), ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}

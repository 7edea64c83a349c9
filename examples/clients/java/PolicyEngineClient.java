// The policyengine service from Java 11+: java.net.http.HttpClient, no other library.
//
//   policyengine serve --pack haining &
//   export PE_TOKEN=$(policyengine serve token create --name 示例 --role assessor)
//   java examples/clients/java/PolicyEngineClient.java examples/clients/station.json
//
// Evaluates the record in the file (JSON) against the Haining pack, prints the verdict, the
// evaluation's number in the history and the failing findings, then the open rectification
// items. An error answer is an RFC 9457 problem document: its title, detail and positions are
// printed. A real client would map the JSON with its usual library (Jackson, Gson) using the
// schemas in /api/v1/openapi.json; this one reads a few fields with regular expressions.

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class PolicyEngineClient {
    // HTTP/1.1: uvicorn does not take the h2c upgrade Java's default (HTTP/2) asks for
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final String api;
    private final String token;

    PolicyEngineClient(String base, String token) {
        this.api = base + "/api/v1";
        this.token = token;
    }

    HttpResponse<String> send(String method, String path, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json, application/problem+json");
        if (json != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\": *(\"((?:[^\"\\\\]|\\\\.)*)\"|-?[0-9]+|null|true|false)").matcher(json);
        return m.find() ? (m.group(2) != null ? m.group(2) : m.group(1)) : null;
    }

    static void printProblem(HttpResponse<String> answer) {
        String body = answer.body();
        System.out.println("HTTP " + answer.statusCode() + " " + answer.headers().firstValue("Content-Type").orElse(""));
        System.out.println("problem: " + field(body, "title"));
        System.out.println("detail:  " + field(body, "detail"));
        Matcher m = Pattern.compile("\"line\": (\\d+|null), \"column\": (\\d+|null), \"path\": (\"[^\"]*\"|null)").matcher(body);
        while (m.find()) {
            System.out.println("  at line " + m.group(1) + ", column " + m.group(2) + ", path " + m.group(3));
        }
    }

    public static void main(String[] args) throws Exception {
        String base = System.getenv().getOrDefault("PE_URL", "http://127.0.0.1:8000");
        String token = System.getenv("PE_TOKEN");
        if (token == null || args.length != 1) {
            System.err.println("usage: PE_TOKEN=... java PolicyEngineClient.java RECORD.json");
            System.exit(2);
        }
        PolicyEngineClient client = new PolicyEngineClient(base, token);
        String record = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
        String body = "{\"record\": " + record + ", \"packs\": [\"haining\"], \"as_of\": \"2023-06-30\", \"lang\": \"zh\"}";

        HttpResponse<String> answer = client.send("POST", "/evaluate", body);
        if (answer.statusCode() != 200) {
            printProblem(answer);
            System.exit(1);
        }
        String json = answer.body();
        System.out.println("verdict: " + field(json, "verdict") + " (" + field(json, "verdict_label") + ")");
        System.out.println("evaluation: #" + field(json, "evaluation_id"));
        Matcher failing = Pattern.compile("\"rule\": \"([^\"]+)\", \"title\": \\{\"zh\": \"([^\"]+)\"[^{}]*\\}, \"outcome\": \"fail\"").matcher(json);
        while (failing.find()) {
            System.out.println("  fail: " + failing.group(1) + " " + failing.group(2));
        }

        HttpResponse<String> bad = client.send("POST", "/evaluate", "{\"packs\": [\"haining\"],\n \"record\": {\"id\": 1,,}}");
        printProblem(bad);

        HttpResponse<String> items = client.send("GET", "/rectification?open=true", null);
        Matcher open = Pattern.compile("\"id\": (\\d+), \"subject\": \\{\"kind\": \"[^\"]+\", \"id\": \"([^\"]+)\"").matcher(items.body());
        int count = 0;
        while (open.find()) {
            count++;
            System.out.println("open item #" + open.group(1) + " for " + open.group(2));
        }
        System.out.println(count + " open rectification item(s)");
    }
}

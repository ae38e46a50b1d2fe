/**
 * Runs a benchmark driver that lives in test scope through its static {@code run(String[])}: test scope may hold only
 * one {@code main} (TestImageEditProxyApplication, which {@code ./mvnw spring-boot:test-run} must find alone).
 * Usage (single-file source launch): java -cp target/test-classes:target/classes bench/RunTestScopeMain.java CLASS ARGS…
 */
public class RunTestScopeMain {
    public static void main(String[] args) throws Exception {
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        Class.forName(args[0]).getMethod("run", String[].class).invoke(null, (Object) rest);
    }
}

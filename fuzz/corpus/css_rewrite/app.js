import { greet } from "./util.js";
const marker = "//# sourceMappingURL=not-this.map";
greet(marker);
//# sourceMappingURL=app.js.map

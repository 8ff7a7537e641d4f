// The chart bundle ./setup builds with esbuild from the pinned npm packages into static/vendor/charts.js:
// Vega, Vega-Lite and vega-embed, plus Vega's expression interpreter, so charts draw under a Content-Security-
// Policy without 'unsafe-eval' (app.js passes `ast: true, expr: vegaExpressionInterpreter` to vegaEmbed).
import * as vega from "vega";
import vegaEmbed from "vega-embed";
import { expressionInterpreter } from "vega-interpreter";
import * as vegaLite from "vega-lite";

window.vega = vega;
window.vegaLite = vegaLite;
window.vegaEmbed = vegaEmbed;
window.vegaExpressionInterpreter = expressionInterpreter;

"""What the demo shop holds: a bike shop's catalogue, customers and their history.

Plain data only; ``loyalty_demo_data`` turns it into Oscar rows, margin
group assignments and the loyalty program's operations. Natural keys (UPC, e-mail, order number) make every run update
the same rows instead of adding new ones.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

PARTNER_NAME = "Velo Warehouse"

BICYCLE = "Bicycle"
ACCESSORY = "Accessory"
CLOTHING = "Clothing"
SPARE_PART = "Spare part"
PRODUCT_CLASSES = (BICYCLE, ACCESSORY, CLOTHING, SPARE_PART)


@dataclass(frozen=True)
class DemoProduct:
    upc: str
    title: str
    category: str  # a breadcrumb, "Parent > Child"
    product_class: str
    price: Decimal
    num_in_stock: int
    description: str


def _product(upc, title, category, product_class, price, num_in_stock, description):
    return DemoProduct(upc, title, category, product_class, Decimal(price), num_in_stock, description)


# fmt: off
PRODUCTS = (
    # Bikes
    _product(
        "VELO-RB-001", "Volna Road 105 road bike", "Bikes > Road bikes", BICYCLE, "129900", 6,
        "Aluminium endurance frame, carbon fork and a mechanical 2×12 groupset with hydraulic disc brakes.",
    ),
    _product(
        "VELO-RB-002", "Volna Aero Di2 road bike", "Bikes > Road bikes", BICYCLE, "249900", 2,
        "Full-carbon aero frame, electronic 2×12 shifting and deep-section carbon wheels. Race ready.",
    ),
    _product(
        "VELO-RB-003", "Strela Endurance road bike", "Bikes > Road bikes", BICYCLE, "84900", 8,
        "Relaxed geometry for long rides, 2×10 gearing, mudguard mounts and 32 mm tyres.",
    ),
    _product(
        "VELO-RB-004", "Strela Gravel 400 gravel bike", "Bikes > Road bikes", BICYCLE, "119900", 4,
        "A 1×11 gravel bike with room for 45 mm tyres, three bottle mounts and rack eyelets.",
    ),
    _product(
        "VELO-MB-001", "Taiga Trail 29 hardtail", "Bikes > Mountain bikes", BICYCLE, "64900", 7,
        "29-inch hardtail with a 120 mm air fork, dropper post and a 1×12 drivetrain.",
    ),
    _product(
        "VELO-MB-002", "Taiga Enduro 160 full-suspension bike", "Bikes > Mountain bikes", BICYCLE, "219900", 3,
        "160 mm of travel front and rear, four-piston brakes and a coil shock for the steepest trails.",
    ),
    _product(
        "VELO-MB-003", "Kedr XC 27.5 hardtail", "Bikes > Mountain bikes", BICYCLE, "45900", 9,
        "A light cross-country hardtail with a 100 mm fork and 2×9 gearing; a first mountain bike.",
    ),
    _product(
        "VELO-CB-001", "Neva City 7-speed city bike", "Bikes > City bikes", BICYCLE, "32900", 10,
        "Step-through frame, hub gears, dynamo lights, mudguards and a rear rack.",
    ),
    _product(
        "VELO-CB-002", "Neva Fold 20 folding bike", "Bikes > City bikes", BICYCLE, "27900", 6,
        "Folds in fifteen seconds to fit under a desk or in a car boot. 20-inch wheels, 6 speeds.",
    ),
    _product(
        "VELO-CB-003", "Neva E-City electric bike", "Bikes > City bikes", BICYCLE, "159900", 0,
        "Mid-drive motor, 500 Wh battery for up to 100 km, integrated lights and a 7-speed hub.",
    ),
    _product(
        "VELO-KB-001", "Zayats 16 kids' bike", "Bikes > Kids' bikes", BICYCLE, "12900", 12,
        "For ages 4 to 6: removable stabilisers, chain guard and a coaster brake.",
    ),
    _product(
        "VELO-KB-002", "Zayats 20 kids' bike", "Bikes > Kids' bikes", BICYCLE, "16900", 9,
        "For ages 6 to 9: six gears, V-brakes and a light aluminium frame.",
    ),
    # Helmets
    _product(
        "VELO-HE-001", "Vektor Road MIPS helmet", "Helmets", ACCESSORY, "12900", 15,
        "A ventilated road helmet with a rotational impact protection liner. 250 g in size M.",
    ),
    _product(
        "VELO-HE-002", "Vektor Trail helmet", "Helmets", ACCESSORY, "8900", 14,
        "Extended rear coverage, adjustable visor and goggle-friendly straps.",
    ),
    _product(
        "VELO-HE-003", "Vektor Urban helmet", "Helmets", ACCESSORY, "5900", 20,
        "A commuter helmet with a built-in rear LED and a magnetic buckle.",
    ),
    _product(
        "VELO-HE-004", "Zayats kids' helmet", "Helmets", ACCESSORY, "2900", 25,
        "Bright colours, a soft-touch shell and a pinch-free buckle. Sizes XS and S.",
    ),
    # Lights
    _product(
        "VELO-LI-001", "Luch 1200 front light", "Lights", ACCESSORY, "5900", 30,
        "1200 lumens, five modes, USB-C charging and up to 20 hours on the economy mode.",
    ),
    _product(
        "VELO-LI-002", "Luch 80 rear light", "Lights", ACCESSORY, "2200", 40,
        "80 lumens with a daytime flash visible from two kilometres.",
    ),
    _product(
        "VELO-LI-003", "Luch Commuter light set", "Lights", ACCESSORY, "3900", 35,
        "A 400-lumen front and 30-lumen rear light, both rechargeable, tool-free mounts.",
    ),
    _product(
        "VELO-LI-004", "Luch Dynamo headlight", "Lights", ACCESSORY, "4500", 12,
        "A hub-dynamo headlight with a standlight: never run out of battery again.",
    ),
    # Locks
    _product(
        "VELO-LO-001", "Zamok U-lock 16 mm", "Locks", ACCESSORY, "4900", 22,
        "Hardened steel shackle, anti-drill cylinder and a frame mount.",
    ),
    _product(
        "VELO-LO-002", "Zamok folding lock 8.5 mm", "Locks", ACCESSORY, "7900", 10,
        "Folds to the size of a bottle, 90 cm long when open, with a holster.",
    ),
    _product(
        "VELO-LO-003", "Zamok cable lock 12 mm × 180 cm", "Locks", ACCESSORY, "1490", 50,
        "A coated steel cable with a combination lock, for short stops.",
    ),
    _product(
        "VELO-LO-004", "Zamok chain lock 10 mm", "Locks", ACCESSORY, "5500", 8,
        "A 110 cm square-link chain in a fabric sleeve that protects the paint.",
    ),
    # Tyres and tubes
    _product(
        "VELO-TY-001", "Shina Road Pro 700×28c tyre", "Tyres & tubes", SPARE_PART, "5400", 40,
        "A tubeless-ready folding road tyre with a puncture protection belt.",
    ),
    _product(
        "VELO-TY-002", "Shina Gravel 700×40c tyre", "Tyres & tubes", SPARE_PART, "4600", 30,
        "A fast-rolling centre line and cornering knobs for mixed surfaces.",
    ),
    _product(
        "VELO-TY-003", "Shina Trail 29×2.4 tyre", "Tyres & tubes", SPARE_PART, "5900", 24,
        "Dual-compound trail tyre with reinforced sidewalls.",
    ),
    _product(
        "VELO-TY-004", "Shina City 28×1.75 reflective tyre", "Tyres & tubes", SPARE_PART, "2300", 36,
        "Reflective sidewalls and a 3 mm anti-puncture layer for commuting.",
    ),
    _product(
        "VELO-TY-005", "Inner tube 700×25-32c, presta valve", "Tyres & tubes", SPARE_PART, "590", 120,
        "Butyl inner tube with a 48 mm removable-core valve.",
    ),
    _product(
        "VELO-TY-006", "Inner tube 29×2.1-2.4, schrader valve", "Tyres & tubes", SPARE_PART, "650", 100,
        "Butyl inner tube for 29-inch mountain bike wheels.",
    ),
    _product(
        "VELO-TY-007", "Tubeless sealant 500 ml", "Tyres & tubes", SPARE_PART, "1190", 60,
        "Seals punctures up to 6 mm and stays liquid for months.",
    ),
    # Components
    _product(
        "VELO-CO-001", "12-speed chain, 126 links", "Components", SPARE_PART, "3900", 45,
        "A hollow-pin chain with a quick link, compatible with 12-speed road and mountain drivetrains.",
    ),
    _product(
        "VELO-CO-002", "11-34 11-speed cassette", "Components", SPARE_PART, "5900", 20,
        "Wide-range cassette for climbing, nickel-plated against corrosion.",
    ),
    _product(
        "VELO-CO-003", "Hydraulic disc brake set", "Components", SPARE_PART, "11900", 12,
        "Front and rear two-piston brakes with 160 mm rotors, pre-bled.",
    ),
    _product(
        "VELO-CO-004", "Disc brake pads, resin (pair)", "Components", SPARE_PART, "890", 80,
        "Quiet organic pads with strong bite in the dry.",
    ),
    _product(
        "VELO-CO-005", "Flat pedals, aluminium", "Components", SPARE_PART, "3400", 25,
        "A wide CNC platform with replaceable pins and sealed bearings.",
    ),
    _product(
        "VELO-CO-006", "Clipless road pedals", "Components", SPARE_PART, "8900", 14,
        "A composite body with a steel axle, cleats included.",
    ),
    _product(
        "VELO-CO-007", "Carbon seatpost 27.2 mm", "Components", SPARE_PART, "9900", 10,
        "Layup tuned for comfort, 350 mm long, 190 g.",
    ),
    _product(
        "VELO-CO-008", "Comfort saddle", "Components", SPARE_PART, "3900", 18,
        "A pressure-relief channel and gel padding for city and touring bikes.",
    ),
    _product(
        "VELO-CO-009", "Handlebar tape", "Components", SPARE_PART, "1490", 40,
        "Grippy 3 mm tape with end plugs, in five colours.",
    ),
    # Clothing
    _product(
        "VELO-CL-001", "Summer jersey, men's", "Clothing", CLOTHING, "4900", 30,
        "A breathable race-fit jersey with three back pockets and a full zip.",
    ),
    _product(
        "VELO-CL-002", "Summer jersey, women's", "Clothing", CLOTHING, "4900", 30,
        "Women's cut, breathable mesh panels and a zipped valuables pocket.",
    ),
    _product(
        "VELO-CL-003", "Bib shorts with pad", "Clothing", CLOTHING, "6900", 26,
        "Compressive Lycra, flat seams and a multi-density pad for long days.",
    ),
    _product(
        "VELO-CL-004", "Windproof gilet", "Clothing", CLOTHING, "5400", 18,
        "Packs into its own pocket; a windproof front and mesh back.",
    ),
    _product(
        "VELO-CL-005", "Waterproof jacket", "Clothing", CLOTHING, "11900", 12,
        "A three-layer membrane with taped seams, a long tail and reflective details.",
    ),
    _product(
        "VELO-CL-006", "Full-finger gloves", "Clothing", CLOTHING, "2400", 35,
        "Touchscreen-friendly fingertips and a gel palm.",
    ),
    _product(
        "VELO-CL-007", "Merino cycling socks", "Clothing", CLOTHING, "990", 60,
        "Warm when wet, cool in summer, and they don't smell after a long ride.",
    ),
    # Tools and maintenance
    _product(
        "VELO-TO-001", "Multi-tool, 16 functions", "Tools & maintenance", ACCESSORY, "2900", 40,
        "Hex keys from 2 to 8 mm, Torx T25, a chain breaker and spoke keys.",
    ),
    _product(
        "VELO-TO-002", "Floor pump with gauge", "Tools & maintenance", ACCESSORY, "4400", 16,
        "Up to 11 bar, a large gauge and a head for presta and schrader valves.",
    ),
    _product(
        "VELO-TO-003", "Mini pump", "Tools & maintenance", ACCESSORY, "1900", 30,
        "Fits in a jersey pocket; a flexible hose saves the valves.",
    ),
    _product(
        "VELO-TO-004", "Chain lubricant, wet, 100 ml", "Tools & maintenance", ACCESSORY, "690", 70,
        "For rain and mud: stays on the chain for hundreds of kilometres.",
    ),
    _product(
        "VELO-TO-005", "Torque wrench 2-24 Nm", "Tools & maintenance", ACCESSORY, "8900", 8,
        "A click-type wrench with bits in a case, for carbon parts.",
    ),
    _product(
        "VELO-TO-006", "Home workstand", "Tools & maintenance", ACCESSORY, "12900", 5,
        "A folding stand with a quick-release clamp that holds bikes up to 25 kg.",
    ),
    _product(
        "VELO-TO-007", "Bike cleaner, 1 l", "Tools & maintenance", ACCESSORY, "890", 45,
        "A biodegradable spray that is safe on carbon, rubber and brake discs.",
    ),
)
# fmt: on


# The product whose "+N bonuses" ``loyalty_demo_data --logins`` shows for
# each customer: the same bike earns each tier a different figure.
REFERENCE_UPC = "VELO-RB-001"


@dataclass(frozen=True)
class DemoMarginAssignment:
    """Puts a product class, a category or one product (by UPC) in a margin group."""

    group: str  # the margin group's code
    product_class: str = ""
    category: str = ""  # a breadcrumb, as in DemoProduct
    upc: str = ""


# The program's default groups (low 0.5, standard 1.0 by default, high 2.0):
# bikes sell on thin margins and earn half the cashback, accessories and
# clothing on wide ones and earn double; spare parts stay in the default
# group. The most specific assignment wins, so lights (branded, sold at the
# maker's price) and the brake set override their product class.
MARGIN_ASSIGNMENTS = (
    DemoMarginAssignment("low", product_class=BICYCLE),
    DemoMarginAssignment("high", product_class=ACCESSORY),
    DemoMarginAssignment("high", product_class=CLOTHING),
    DemoMarginAssignment("standard", category="Lights"),
    DemoMarginAssignment("low", upc="VELO-CO-003"),
)


@dataclass(frozen=True)
class DemoAdjustment:
    points: int
    reason: str
    days_ago: int


@dataclass(frozen=True)
class DemoCustomer:
    email: str
    username: str
    first_name: str
    last_name: str
    phone_number: str
    line1: str
    city: str
    postcode: str
    adjustment: DemoAdjustment


@dataclass(frozen=True)
class DemoOrder:
    number: str
    email: str
    days_ago: int  # when it was placed
    lines: tuple  # (UPC, quantity) pairs
    status: str
    # Points spent on the order: paid at checkout, or held at checkout and
    # given back because the order was cancelled.
    redeemed: int = 0
    released: int = 0


ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin"
CUSTOMER_PASSWORD = "demo12345"

CUSTOMERS = (
    DemoCustomer(
        email="anna@example.com",
        username="anna",
        first_name="Anna",
        last_name="Smirnova",
        phone_number="+79161234501",
        line1="12 Tverskaya Street, apt. 45",
        city="Moscow",
        postcode="125009",
        adjustment=DemoAdjustment(500, _("Compensation for a delayed delivery"), 60),
    ),
    DemoCustomer(
        email="boris@example.com",
        username="boris",
        first_name="Boris",
        last_name="Ivanov",
        phone_number="+79211234502",
        line1="7 Nevsky Prospekt, apt. 3",
        city="Saint Petersburg",
        postcode="191186",
        adjustment=DemoAdjustment(-150, _("Points for a returned pair of gloves taken back"), 70),
    ),
    DemoCustomer(
        email="vera@example.com",
        username="vera",
        first_name="Vera",
        last_name="Kuznetsova",
        phone_number="+79031234503",
        line1="3 Bauman Street, apt. 18",
        city="Kazan",
        postcode="420111",
        adjustment=DemoAdjustment(300, _("Welcome bonus for subscribing to the newsletter"), 30),
    ),
    DemoCustomer(
        email="gleb@example.com",
        username="gleb",
        first_name="Gleb",
        last_name="Morozov",
        phone_number="+79121234504",
        line1="21 Lenin Avenue, apt. 7",
        city="Yekaterinburg",
        postcode="620014",
        adjustment=DemoAdjustment(1000, _("Welcome-back campaign"), 10),
    ),
)

COMPLETE = "Complete"
PENDING = "Pending"
CANCELLED = "Cancelled"

# How long after being placed a complete order was delivered (its points
# accrue then), and a cancelled one was cancelled.
DELIVERY_DAYS = 3
CANCELLATION_HOURS = 20

# Completed orders earn through the earning layer at the tier the customer
# had then, and their purchase volume moves the customer up: Anna ends in
# VIP (over 300,000 ₽), Boris in Platinum (over 100,000 ₽), Vera in Gold
# (over 30,000 ₽) and Gleb in Silver.
#
# Each customer ends up with points in every state: earned over a year ago
# (expired), about 345 days ago (expiring within 30 days), some months ago
# (available), in the last fortnight (pending), spent on one order, and a
# manual adjustment.
# fmt: off
ORDERS = (
    # Anna: a road cyclist who moved up to a race bike.
    DemoOrder("DEMO-1001", "anna@example.com", 430, (("VELO-RB-003", 1), ("VELO-HE-001", 1)), COMPLETE),
    DemoOrder("DEMO-1002", "anna@example.com", 348, (("VELO-RB-002", 1), ("VELO-CO-006", 1)), COMPLETE),
    DemoOrder(
        "DEMO-1003", "anna@example.com", 120,
        (("VELO-LI-001", 1), ("VELO-LI-002", 1), ("VELO-LO-002", 1)), COMPLETE,
    ),
    DemoOrder(
        "DEMO-1004", "anna@example.com", 35,
        (("VELO-TY-001", 2), ("VELO-CL-003", 1), ("VELO-CL-002", 1)), COMPLETE, redeemed=2500,
    ),
    DemoOrder(
        "DEMO-1005", "anna@example.com", 9,
        (("VELO-CO-007", 1), ("VELO-CO-009", 1), ("VELO-TO-005", 1)), COMPLETE,
    ),
    # Boris: a mountain biker; his order for a full-suspension bike was
    # cancelled and the points he had set aside for it came back.
    DemoOrder("DEMO-2001", "boris@example.com", 500, (("VELO-MB-003", 1), ("VELO-HE-002", 1)), COMPLETE),
    DemoOrder("DEMO-2002", "boris@example.com", 350, (("VELO-MB-001", 1), ("VELO-CO-005", 1)), COMPLETE),
    DemoOrder(
        "DEMO-2003", "boris@example.com", 200,
        (("VELO-TY-003", 2), ("VELO-TY-006", 2), ("VELO-TY-007", 1)), COMPLETE,
    ),
    DemoOrder(
        "DEMO-2004", "boris@example.com", 90, (("VELO-CO-003", 1), ("VELO-CO-004", 2)), COMPLETE, redeemed=1000,
    ),
    DemoOrder("DEMO-2005", "boris@example.com", 20, (("VELO-MB-002", 1),), CANCELLED, released=1500),
    DemoOrder(
        "DEMO-2006", "boris@example.com", 10,
        (("VELO-TO-001", 1), ("VELO-TO-003", 1), ("VELO-TO-004", 1)), COMPLETE,
    ),
    # Vera: rides in the city; her largest order, just placed, earns nothing
    # until it is complete, and will then take her to Platinum.
    DemoOrder("DEMO-3001", "vera@example.com", 400, (("VELO-KB-001", 1), ("VELO-HE-004", 1)), COMPLETE),
    DemoOrder("DEMO-3002", "vera@example.com", 345, (("VELO-CB-002", 1), ("VELO-LO-003", 1)), COMPLETE),
    DemoOrder(
        "DEMO-3003", "vera@example.com", 25, (("VELO-HE-003", 1), ("VELO-LI-003", 1)), COMPLETE, redeemed=300,
    ),
    DemoOrder("DEMO-3004", "vera@example.com", 11, (("VELO-CL-006", 1), ("VELO-TO-003", 1)), COMPLETE),
    DemoOrder(
        "DEMO-3005", "vera@example.com", 2,
        (("VELO-CB-001", 1), ("VELO-LO-001", 1), ("VELO-CL-005", 1)), PENDING,
    ),
    # Gleb: a commuter who buys the odd part; his first points expired
    # unused, and a campaign has brought him back.
    DemoOrder("DEMO-4001", "gleb@example.com", 700, (("VELO-LO-001", 1), ("VELO-LI-002", 1)), COMPLETE),
    DemoOrder(
        "DEMO-4002", "gleb@example.com", 520, (("VELO-TO-002", 1), ("VELO-TO-007", 1)), COMPLETE,
    ),
    DemoOrder(
        "DEMO-4003", "gleb@example.com", 350, (("VELO-CL-006", 1), ("VELO-CL-007", 2)), COMPLETE,
    ),
    DemoOrder(
        "DEMO-4004", "gleb@example.com", 300, (("VELO-CO-001", 1), ("VELO-CO-004", 2)), COMPLETE, redeemed=200,
    ),
    DemoOrder("DEMO-4005", "gleb@example.com", 9, (("VELO-CO-008", 1),), COMPLETE),
)
# fmt: on
